const xs = [1, 2, 3, 4, 5, 6, 7];
const left = [...xs.slice(3), ...xs.slice(0, 3)];
const right = [...xs.slice(-2), ...xs.slice(0, -2)];
console.log(left.join(" "));
console.log(right.join(" "));

const xs = [12, 7, 3, 18, 5, 10];
const sum = xs.reduce((a, b) => a + b, 0);
console.log(`sum=${sum}`);
console.log(`min=${Math.min(...xs)}`);
console.log(`max=${Math.max(...xs)}`);
console.log(`mean=${(sum / xs.length).toFixed(2)}`);

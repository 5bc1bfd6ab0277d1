const vals = [...new Set([42, 7, 19, 3, 88, 23, 7, 56])].sort((a, b) => a - b);
console.log(`3rd smallest: ${vals[2]}`);
console.log(`2nd largest: ${vals[vals.length - 2]}`);

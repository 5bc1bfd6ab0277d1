const words = "the quick brown fox jumps over the lazy dog the end".split(" ");
console.log(`words: ${words.length}`);
console.log(`distinct: ${new Set(words).size}`);

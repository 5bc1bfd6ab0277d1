// Mocked contents of data.txt
const text = "10\n# comment\n20\n\n  30  \n# another comment\n40";
const values = [];
let skipped = 0;
for (const line of text.split("\n")) {
  const s = line.trim();
  if (s === "" || s.startsWith("#")) skipped++;
  else values.push(Number(s));
}
console.log(`values: ${values.length}`);
console.log(`sum: ${values.reduce((a, b) => a + b, 0)}`);
console.log(`skipped: ${skipped}`);

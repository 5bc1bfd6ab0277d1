let total = 0;
for (const s of ["42", "-7", "abc", "3.5", "100", "12a"]) {
  if (/^-?[0-9]+$/.test(s)) {
    total += Number(s);
    console.log(`ok ${Number(s)}`);
  } else {
    console.log(`error: '${s}' is not an integer`);
  }
}
console.log(`sum of valid: ${total}`);

function decode(s) {
  let out = "";
  let num = "";
  for (const ch of s) {
    if (ch >= "0" && ch <= "9") num += ch;
    else {
      out += ch.repeat(Number(num));
      num = "";
    }
  }
  return out;
}
console.log(decode("4x2y1z3x"));
console.log(decode("12a3b"));

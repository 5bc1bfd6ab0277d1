function shift(text, k) {
  const rot = (ch, base) => String.fromCharCode(((((ch.charCodeAt(0) - base + k) % 26) + 26) % 26) + base);
  return [...text]
    .map((ch) => (ch >= "a" && ch <= "z" ? rot(ch, 97) : ch >= "A" && ch <= "Z" ? rot(ch, 65) : ch))
    .join("");
}
console.log(shift("Attack at dawn, xyz!", 3));
console.log(shift("Wkh vhfuhw lv 42.", -3));

for (const w of ["level", "Rotor", "banana", "Noon", "abcba", "ab"]) {
  const low = w.toLowerCase();
  const rev = [...low].reverse().join("");
  console.log(`${w}: ${low === rev ? "yes" : "no"}`);
}

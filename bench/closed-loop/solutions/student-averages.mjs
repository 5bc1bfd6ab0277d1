const students = [
  { name: "lena", scores: [70, 85, 90] },
  { name: "omar", scores: [55, 60, 52] },
  { name: "ivy", scores: [100, 90, 95] },
];
for (const s of students) {
  const avg = s.scores.reduce((a, b) => a + b, 0) / s.scores.length;
  console.log(`${s.name} ${avg.toFixed(1)} ${avg >= 60 ? "pass" : "fail"}`);
}

for (const s of [95, 83, 71, 64, 50, 88, 75, 60]) {
  const band = s >= 90 ? "excellent" : s >= 75 ? "good" : s >= 60 ? "pass" : "fail";
  console.log(`${s} ${band}`);
}

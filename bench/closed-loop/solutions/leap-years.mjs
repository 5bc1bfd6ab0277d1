for (const y of [1900, 2000, 2023, 2024, 2100, 2400]) {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  console.log(`${y}: ${leap ? "leap" : "common"}`);
}

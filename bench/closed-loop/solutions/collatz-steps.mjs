for (const start of [6, 7, 27, 97]) {
  let n = start;
  let steps = 0;
  while (n !== 1) {
    n = n % 2 === 0 ? n / 2 : 3 * n + 1;
    steps++;
  }
  console.log(`${start}: ${steps}`);
}

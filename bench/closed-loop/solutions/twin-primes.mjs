function isPrime(n) {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}
let count = 0;
for (let p = 2; p + 2 < 100; p++) {
  if (isPrime(p) && isPrime(p + 2)) {
    console.log(`${p} ${p + 2}`);
    count++;
  }
}
console.log(`count: ${count}`);

let balance = 1000;
for (let year = 1; year <= 5; year++) {
  balance *= 1.04;
  console.log(`year ${year}: ${balance.toFixed(2)}`);
}

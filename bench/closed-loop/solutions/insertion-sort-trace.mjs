const xs = [5, 2, 9, 1, 6];
for (let i = 1; i < xs.length; i++) {
  const key = xs[i];
  let j = i - 1;
  while (j >= 0 && xs[j] > key) {
    xs[j + 1] = xs[j];
    j--;
  }
  xs[j + 1] = key;
  console.log(xs.join(" "));
}

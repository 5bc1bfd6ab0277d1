const moves = [];
function hanoi(n, from, to, via) {
  if (n === 0) return;
  hanoi(n - 1, from, via, to);
  moves.push(`disk ${n}: ${from} -> ${to}`);
  hanoi(n - 1, via, to, from);
}
hanoi(3, 1, 3, 2);
console.log(moves.join("\n"));
console.log(`moves: ${moves.length}`);

function evaluate(expr) {
  const toks = expr.split(" ");
  let pos = 0;
  const peek = () => toks[pos];
  const take = () => toks[pos++];
  function factor() {
    const t = take();
    if (t === "(") {
      const v = sum();
      take();
      return v;
    }
    return Number(t);
  }
  function term() {
    let v = factor();
    while (peek() === "*" || peek() === "/") {
      const op = take();
      const rhs = factor();
      v = op === "*" ? v * rhs : v / rhs;
    }
    return v;
  }
  function sum() {
    let v = term();
    while (peek() === "+" || peek() === "-") {
      const op = take();
      const rhs = term();
      v = op === "+" ? v + rhs : v - rhs;
    }
    return v;
  }
  return sum();
}
for (const e of ["3 + 4 * 2 - 10 / 5", "( 2 + 3 ) * ( 7 - 4 )", "100 / ( 4 * 5 ) - 2", "2 * ( 3 + ( 4 - 1 ) * 2 )", "18 - 6 - 4"]) {
  console.log(`${e} = ${evaluate(e)}`);
}

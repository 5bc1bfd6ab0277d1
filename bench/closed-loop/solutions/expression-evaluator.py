def evaluate(expr):
    toks = expr.split(" ")
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def factor():
        t = take()
        if t == "(":
            v = expr_()
            take()
            return v
        return int(t)

    def term():
        v = factor()
        while peek() in ("*", "/"):
            op = take()
            rhs = factor()
            v = v * rhs if op == "*" else v // rhs
        return v

    def expr_():
        v = term()
        while peek() in ("+", "-"):
            op = take()
            rhs = term()
            v = v + rhs if op == "+" else v - rhs
        return v

    return expr_()

for e in ["3 + 4 * 2 - 10 / 5", "( 2 + 3 ) * ( 7 - 4 )", "100 / ( 4 * 5 ) - 2", "2 * ( 3 + ( 4 - 1 ) * 2 )", "18 - 6 - 4"]:
    print(f"{e} = {evaluate(e)}")

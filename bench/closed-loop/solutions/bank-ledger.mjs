const ops = ["deposit 50", "withdraw 30", "withdraw 500", "deposit -5", "transfer 10", "withdraw 20", "deposit abc"];
let balance = 100;
for (const op of ops) {
  const [verb, amt] = op.split(" ");
  if (verb !== "deposit" && verb !== "withdraw") {
    console.log(`error: unknown operation ${verb}`);
    continue;
  }
  if (!/^[0-9]+$/.test(amt) || Number(amt) <= 0) {
    console.log(`error: invalid amount ${amt}`);
    continue;
  }
  const n = Number(amt);
  if (verb === "withdraw" && n > balance) {
    console.log("error: insufficient funds");
    continue;
  }
  balance += verb === "deposit" ? n : -n;
  console.log(`ok: balance ${balance}`);
}
console.log(`final balance: ${balance}`);

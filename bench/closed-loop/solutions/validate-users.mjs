const users = [
  ["alice", "30", "alice@example.com"],
  ["bob", "-5", "bob@example.com"],
  ["", "22", "anon@example.com"],
  ["dave", "200", "dave@example.com"],
  ["erin", "41", "erin.example.com"],
  ["frank", "abc", "frank@site.org"],
  ["gina", "28", "gina@localhost"],
  ["hank", "65", "hank@mail.net"],
];
function check(name, age, email) {
  if (name === "") return "empty name";
  if (!/^[0-9]+$/.test(age)) return "age is not a number";
  const n = Number(age);
  if (n < 0 || n > 150) return "age out of range";
  const parts = email.split("@");
  if (parts.length !== 2 || parts[0] === "" || !parts[1].includes(".")) return "invalid email";
  return "";
}
let valid = 0;
users.forEach((u, i) => {
  const err = check(...u);
  if (err === "") valid++;
  console.log(`${i + 1}: ${err === "" ? "ok" : err}`);
});
console.log(`valid: ${valid} of ${users.length}`);

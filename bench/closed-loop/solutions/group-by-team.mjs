const people = [["ana", "eng"], ["ben", "ops"], ["cat", "eng"], ["dan", "sales"], ["eve", "ops"], ["fay", "eng"]];
const teams = new Map();
for (const [name, team] of people) {
  if (!teams.has(team)) teams.set(team, []);
  teams.get(team).push(name);
}
for (const team of [...teams.keys()].sort()) console.log(`${team}: ${teams.get(team).join(", ")}`);

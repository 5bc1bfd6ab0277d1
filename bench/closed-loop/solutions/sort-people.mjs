const people = [["mia", 31], ["leo", 25], ["ava", 31], ["zed", 19], ["kai", 25], ["eli", 40]];
people.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
for (const [name, age] of people) console.log(`${name} ${age}`);

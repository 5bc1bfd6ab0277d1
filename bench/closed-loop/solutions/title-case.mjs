const text = "hello wide world of code";
console.log(text.split(" ").map((w) => w.slice(0, 1).toUpperCase() + w.slice(1)).join(" "));

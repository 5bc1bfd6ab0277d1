const q = "page=2&sort=name&tag=red&tag=blue&limit=25";
const params = new Map();
for (const part of q.split("&")) {
  const i = part.indexOf("=");
  const k = part.slice(0, i);
  if (!params.has(k)) params.set(k, []);
  params.get(k).push(part.slice(i + 1));
}
for (const [k, vs] of params) console.log(`${k}: ${vs.join(", ")}`);

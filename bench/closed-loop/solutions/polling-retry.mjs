// Mocked responses of successive GET calls.
const responses = [[503, "busy"], [503, "busy"], [200, '{"job": "done", "items": 12}']];
let done = false;
for (let attempt = 1; attempt <= 5; attempt++) {
  const [status, body] = responses[attempt - 1] ?? [503, "busy"];
  console.log(`attempt ${attempt}: ${status}`);
  if (status === 200) {
    console.log(`items: ${JSON.parse(body).items}`);
    done = true;
    break;
  }
}
if (!done) console.log("gave up");

import json

# Mocked responses of successive GET calls.
responses = [(503, "busy"), (503, "busy"), (200, '{"job": "done", "items": 12}')]
done = False
for attempt in range(1, 6):
    status, body = responses[attempt - 1] if attempt <= len(responses) else (503, "busy")
    print(f"attempt {attempt}: {status}")
    if status == 200:
        print(f"items: {json.loads(body)['items']}")
        done = True
        break
if not done:
    print("gave up")

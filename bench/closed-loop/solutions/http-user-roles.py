import json

# Mocked response body of GET https://api.example.com/users/7
body = '{"id": 7, "name": "Grace", "email": "grace@example.com", "roles": ["admin", "editor"]}'
user = json.loads(body)
print(f"{user['name']} has {len(user['roles'])} roles: {', '.join(user['roles'])}")

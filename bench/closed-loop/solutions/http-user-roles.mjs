// Mocked response body of GET https://api.example.com/users/7
const body = '{"id": 7, "name": "Grace", "email": "grace@example.com", "roles": ["admin", "editor"]}';
const user = JSON.parse(body);
console.log(`${user.name} has ${user.roles.length} roles: ${user.roles.join(", ")}`);

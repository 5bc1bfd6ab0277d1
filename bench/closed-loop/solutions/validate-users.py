users = [
    ("alice", "30", "alice@example.com"),
    ("bob", "-5", "bob@example.com"),
    ("", "22", "anon@example.com"),
    ("dave", "200", "dave@example.com"),
    ("erin", "41", "erin.example.com"),
    ("frank", "abc", "frank@site.org"),
    ("gina", "28", "gina@localhost"),
    ("hank", "65", "hank@mail.net"),
]

def check(name, age, email):
    if name == "":
        return "empty name"
    if age == "" or not all("0" <= ch <= "9" for ch in age):
        return "age is not a number"
    if not 0 <= int(age) <= 150:
        return "age out of range"
    parts = email.split("@")
    if len(parts) != 2 or parts[0] == "" or "." not in parts[1]:
        return "invalid email"
    return None

valid = 0
for i, u in enumerate(users, 1):
    err = check(*u)
    if err is None:
        valid += 1
        print(f"{i}: ok")
    else:
        print(f"{i}: {err}")
print(f"valid: {valid} of {len(users)}")

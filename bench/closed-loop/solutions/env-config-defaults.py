# Mocked environment instead of the real one.
env = {"APP_PORT": "8080"}
port = int(env.get("APP_PORT", "3000"))
mode = env.get("APP_MODE", "production")
print(f"port={port}")
print(f"mode={mode}")
print(f"next port={port + 1}")

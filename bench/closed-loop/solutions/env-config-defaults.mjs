// Mocked environment instead of the real one.
const env = { APP_PORT: "8080" };
const port = Number(env.APP_PORT ?? "3000");
const mode = env.APP_MODE ?? "production";
console.log(`port=${port}`);
console.log(`mode=${mode}`);
console.log(`next port=${port + 1}`);

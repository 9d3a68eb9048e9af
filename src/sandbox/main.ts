/**
 * `bun src/sandbox/main.ts [--port N] [--latency-ms N] [--rate-limit N] [--daily-limit N]`:
 * the Knack sandbox as its own process, for benchmarks, chaos tests and a service run by
 * hand. `--rate-limit` is requests per app per second, `--daily-limit` calls per app per
 * UTC day (both default 1,000,000).
 */
import { parseArgs } from "node:util";
import { defaultSandboxOptions } from "./defaults.ts";
import { startKnackSandbox } from "./knack.ts";

function number(name: string, text: string | undefined, fallback: number | undefined, least = 0): number | undefined {
	if (text === undefined) return fallback;
	const n = Number(text);
	if (!Number.isInteger(n) || n < least) {
		console.error(`knack sandbox: --${name} must be an integer of at least ${least}`);
		process.exit(2);
	}
	return n;
}

const { values } = parseArgs({
	options: {
		port: { type: "string" },
		"latency-ms": { type: "string" },
		"rate-limit": { type: "string" },
		"daily-limit": { type: "string" },
	},
});

const sandbox = startKnackSandbox(
	defaultSandboxOptions({
		port: number("port", values.port, 5001),
		latencyMs: number("latency-ms", values["latency-ms"], 0),
		// A cap of 0 would refuse everything; 0 for the day is a useful "already spent".
		rateLimitPerSecond: number("rate-limit", values["rate-limit"], undefined, 1),
		dailyLimit: number("daily-limit", values["daily-limit"], undefined),
	}),
);
console.log(JSON.stringify({ message: "knack sandbox listening", url: sandbox.url }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
	process.on(signal, async () => {
		await sandbox.stop();
		process.exit(0);
	});
}

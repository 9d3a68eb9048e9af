/**
 * `bun src/sandbox/main.ts [--port N] [--latency-ms N] [--rate-limit N]`: the Knack
 * sandbox as its own process, for benchmarks, chaos tests and a service run by hand.
 */
import { parseArgs } from "node:util";
import { defaultSandboxOptions } from "./defaults.ts";
import { startKnackSandbox } from "./knack.ts";

function number(name: string, text: string | undefined, fallback: number | undefined): number | undefined {
	if (text === undefined) return fallback;
	const n = Number(text);
	if (!Number.isInteger(n) || n < 0) {
		console.error(`knack sandbox: --${name} must be a non-negative integer`);
		process.exit(2);
	}
	return n;
}

const { values } = parseArgs({
	options: {
		port: { type: "string" },
		"latency-ms": { type: "string" },
		"rate-limit": { type: "string" },
	},
});

const sandbox = startKnackSandbox(
	defaultSandboxOptions({
		port: number("port", values.port, 5001),
		latencyMs: number("latency-ms", values["latency-ms"], 0),
		rateLimitPerSecond: number("rate-limit", values["rate-limit"], undefined),
	}),
);
console.log(JSON.stringify({ message: "knack sandbox listening", url: sandbox.url }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
	process.on(signal, async () => {
		await sandbox.stop();
		process.exit(0);
	});
}

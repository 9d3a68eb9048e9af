/**
 * `bun bench/chaos.ts [--store sqlite|postgres] [--store-restarts N] [--deliveries 500]
 * [--seed N] [--kills 4] [--fault-rate 0.15] [--concurrency 16] [--max-seconds 300] [--keep]`:
 * the chaos test of issue 3, over real processes (see test/chaos/run.ts). PostgreSQL:
 * three servers on one database of a throw-away cluster (or TEST_DATABASE_URL's server,
 * which cannot be restarted: pass --store-restarts 0), restarted once by default. Prints its counts; exits 0 when Knack ends up
 * exactly as the payments imply, 1 otherwise.
 */
import { parseArgs } from "node:util";
import { defaultTimings, runChaos } from "../test/chaos/run.ts";

const { values } = parseArgs({
	options: {
		store: { type: "string", default: "sqlite" },
		"store-restarts": { type: "string" },
		deliveries: { type: "string", default: "500" },
		seed: { type: "string" },
		kills: { type: "string", default: "4" },
		"fault-rate": { type: "string", default: "0.15" },
		concurrency: { type: "string", default: "16" },
		"max-seconds": { type: "string", default: "300" },
		keep: { type: "boolean", default: false },
	},
});

function number(name: string, text: string | undefined, min: number, max = Number.POSITIVE_INFINITY): number {
	const n = Number(text);
	if (text === undefined || !Number.isFinite(n) || n < min || n > max) {
		console.error(`chaos: --${name} must be a number from ${min}${max < Number.POSITIVE_INFINITY ? ` to ${max}` : ""}`);
		process.exit(2);
	}
	return n;
}

const store = values.store;
if (store !== "sqlite" && store !== "postgres") {
	console.error("chaos: --store must be sqlite or postgres");
	process.exit(2);
}
const ok = await runChaos({
	store,
	storeRestarts: number("store-restarts", values["store-restarts"] ?? (store === "postgres" ? "1" : "0"), 0),
	postbacks: number("deliveries", values.deliveries, 1),
	seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number("seed", values.seed, 0),
	kills: number("kills", values.kills, 0),
	faultRate: number("fault-rate", values["fault-rate"], 0, 1),
	concurrency: number("concurrency", values.concurrency, 1),
	twice: 0.1,
	again: 0.3,
	maxSeconds: number("max-seconds", values["max-seconds"], 1),
	timings: defaultTimings,
	keep: values.keep,
	print: (line) => console.log(line),
});
process.exit(ok ? 0 : 1);

import type { Fault } from "../../src/sandbox/knack.ts";
import type { SandboxControl } from "./sandbox.ts";
import { pick } from "./scenario.ts";

/**
 * Random Knack failures: a background loop that keeps a share of the sandbox's traffic
 * failing, in every way Knack fails. Each fault is used up by one request, the first
 * one it matches.
 */
interface FaultKind {
	name: string;
	make(rand: () => number, knackTimeoutMs: number): Fault;
}

const anyMethod = ["GET", "POST", "PUT"];

const kinds: FaultKind[] = [
	{ name: "429", make: (rand) => ({ status: 429, retryAfter: (0.1 + rand() * 0.3).toFixed(2) }) },
	{ name: "500", make: (rand) => ({ method: pick(rand, anyMethod), status: 500 }) },
	{
		name: "500 after the write",
		make: (rand) => ({ method: pick(rand, ["POST", "PUT"]), status: 500, applyBeforeFailing: true }),
	},
	{ name: "timeout", make: (rand, timeout) => ({ method: pick(rand, anyMethod), delayMs: timeout + 300 }) },
	{
		name: "timeout after the write",
		make: (_, timeout) => ({ method: "POST", delayMs: timeout + 300, applyBeforeFailing: true }),
	},
	{ name: "slow answer", make: (_, timeout) => ({ delayMs: timeout / 2 }) },
	{ name: "dropped connection", make: (rand) => ({ method: pick(rand, anyMethod), drop: true }) },
	// Knack accepted the insert but the answer never came: the case that must not duplicate.
	{ name: "dropped after the insert", make: () => ({ method: "POST", drop: true, applyBeforeFailing: true }) },
];

export interface FaultInjector {
	stop(): Promise<Record<string, number>>;
}

/** Queues about `rate` faults per Knack request until stopped; resolves with how many of each it queued. */
export function injectFaults(
	control: SandboxControl,
	rand: () => number,
	options: { rate: number; knackTimeoutMs: number; tickMs?: number; maxQueued?: number },
): FaultInjector {
	const injected: Record<string, number> = Object.fromEntries(kinds.map((k) => [k.name, 0]));
	const maxQueued = options.maxQueued ?? 20;
	let stopped = false;
	let seen = 0;
	let owed = 0;

	async function tick(): Promise<void> {
		const stats = await control.stats();
		owed += (stats.total - seen) * options.rate;
		seen = stats.total;
		for (let queued = stats.faultsQueued; owed >= 1 && queued < maxQueued; queued++, owed--) {
			const kind = pick(rand, kinds);
			await control.inject(kind.make(rand, options.knackTimeoutMs));
			injected[kind.name] = (injected[kind.name] ?? 0) + 1;
		}
	}

	const loop = (async () => {
		while (!stopped) {
			await tick();
			await Bun.sleep(options.tickMs ?? 50);
		}
	})();
	// A failure surfaces from stop(), not as an unhandled rejection in between.
	loop.catch(() => {});

	return {
		async stop() {
			stopped = true;
			await loop;
			await control.clearFaults();
			return injected;
		},
	};
}

import { join } from "node:path";
import type { StorageConfig } from "../../src/storage/open.ts";
import type { Sample } from "./scenarios.ts";
import { seedStore } from "./seedLog.ts";
import { type Sandbox, startService } from "./stack.ts";
import { fixed, markdownTable, median, spread, whole } from "./stats.ts";

/**
 * Whether a postback costs the same whatever the log already holds (issue 16): the
 * intake load against services started on stores seeded with 0 to 1,000,000 events,
 * and the time of a `/metrics` scrape on each, idle. Each store is seeded once and
 * reused by every run (a run adds some thousands of events, little beside 100,000); the
 * empty log is a new store every run, as it would otherwise hold the earlier runs'
 * postbacks. The sizes are interleaved run by run, so that a busy spell of the machine
 * falls on all of them rather than on one.
 */
export interface LogSizeResult {
	/** events seeded before the first run */
	events: number;
	/** the seed's own count: it stops at the end of a transaction, a few events past the size asked */
	seeded: number;
	load: Sample[];
	/** median of the scrapes of each run, in ms */
	scrapeMs: number[];
}

export async function logSizeRuns(o: {
	dir: string;
	sandbox: Sandbox;
	sizes: number[];
	runs: number;
	scrapes: number;
	load: (store: StorageConfig) => Promise<Sample>;
}): Promise<LogSizeResult[]> {
	const results: (LogSizeResult & { store: (run: number) => StorageConfig })[] = [];
	for (const events of o.sizes) {
		const seededStore = { databasePath: join(o.dir, `log-${events}.sqlite`) };
		const store = (run: number) =>
			events > 0 ? seededStore : { databasePath: join(o.dir, `log-0-run-${run}.sqlite`) };
		let seeded = 0;
		if (events > 0) {
			const seed = await seedStore(seededStore, events);
			seeded = seed.events;
			process.stderr.write(
				`seeded ${whole(seed.events)} events in ${fixed(1)(seed.seedSeconds)} s, read model folded in ${fixed(1)(seed.foldSeconds)} s\n`,
			);
		}
		results.push({ events, seeded, store, load: [], scrapeMs: [] });
	}
	for (let run = 0; run < o.runs; run++) {
		for (const r of results) {
			process.stderr.write(`log of ${whole(r.events)} events: run ${run + 1}/${o.runs}…\n`);
			r.scrapeMs.push(await scrapeTime(o.dir, o.sandbox, r.store(run), o.scrapes));
			r.load.push(await o.load(r.store(run)));
		}
	}
	return results.map(({ store: _, ...r }) => r);
}

/** Median time of `scrapes` GETs of /metrics, one after another, on a service started on `store` and left idle. */
async function scrapeTime(dir: string, sandbox: Sandbox, store: StorageConfig, scrapes: number): Promise<number> {
	const service = await startService(dir, sandbox.apiUrl, { store });
	try {
		// Start-up work is not what is timed: the first recovery pass, the health monitor's first
		// checks, and folding into the read model what the previous run appended (up to a
		// second of postbacks, some 15,000 events, which held scrapes up for 1–2 s).
		await Bun.sleep(3000);
		const get = async () => {
			const started = performance.now();
			const response = await fetch(`${service.url}/metrics`);
			await response.arrayBuffer();
			if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
			return performance.now() - started;
		};
		await get();
		const times: number[] = [];
		for (let i = 0; i < scrapes; i++) times.push(await get());
		return median(times);
	} finally {
		await service.child.stop();
	}
}

const ratio = (value: number, empty: number) => `${fixed(2)(value / empty)}×`;

/** The table of figures against the log's size, each as a ratio to the empty log's, and the target. */
export function logSizeReport(results: LogSizeResult[], targetEvents: number): string {
	const med = (r: LogSizeResult, pick: (s: Sample) => number | undefined) =>
		median(r.load.map((s) => pick(s) ?? Number.NaN));
	const empty = results.find((r) => r.events === 0);
	const rows = results.map((r) => [
		whole(r.seeded),
		spread(
			r.load.map((s) => s.perSecond),
			whole,
		),
		spread(
			r.load.map((s) => s.p99Ms ?? Number.NaN),
			fixed(1),
		),
		spread(r.scrapeMs, fixed(1)),
		empty
			? ratio(
					med(r, (s) => s.perSecond),
					med(empty, (s) => s.perSecond),
				)
			: "—",
		empty
			? ratio(
					med(r, (s) => s.p99Ms),
					med(empty, (s) => s.p99Ms),
				)
			: "—",
		empty ? ratio(median(r.scrapeMs), median(empty.scrapeMs)) : "—",
	]);
	const table = markdownTable(
		["events in the log", "per s", "p99 ms", "/metrics ms", "per s vs empty", "p99 vs empty", "/metrics vs empty"],
		rows,
	);
	const largest = results.find((r) => r.events === targetEvents);
	if (!empty || !largest) return table;
	const perSecond = med(largest, (s) => s.perSecond) / med(empty, (s) => s.perSecond);
	const p99 = med(largest, (s) => s.p99Ms) / med(empty, (s) => s.p99Ms);
	const reached = perSecond >= 0.9 && p99 <= 1.1;
	return `${table}\n\nTarget (issue 16): at ${whole(targetEvents)} events, intake per s and p99 within 10 % of the empty log's: per s ${ratio(perSecond, 1)}, p99 ${ratio(p99, 1)}, ${reached ? "reached" : "NOT reached"}`;
}

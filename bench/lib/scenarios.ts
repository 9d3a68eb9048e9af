import { join } from "node:path";
import { parseDelivery } from "../../src/events/payload.ts";
import { EventTypes, type Outcome } from "../../src/events/types.ts";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import { openStorage } from "../../src/storage/open.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { sqliteStorage } from "../../src/storage/sqlite/index.ts";
import type { EventStore } from "../../src/storage/storage.ts";
import { type Child, cpuSeconds, peakRssMiB, spawnBun } from "./processes.ts";
import { acceptedDeliveries, logEnd, type Sandbox, type ServiceSettings, startService } from "./stack.ts";
import { median, percentile } from "./stats.ts";
import { postbackBody, runWrk } from "./wrk.ts";

/** One run of one scenario; absent figures do not apply to it. */
export interface Sample {
	perSecond: number;
	p50Ms: number;
	p99Ms?: number;
	callsPerPostback?: number;
	peakRssMiB?: number;
	/** CPU used over the measured window, in cores (1 = one core busy all the time) */
	serviceCores?: number;
	/** service CPU time per postback answered: unlike req/s, barely moved by other load on the machine */
	cpuMsPerPostback?: number;
	sandboxCores?: number;
	/** Knack calls answered 2xx per second, from the first call to 1 s after the last (the cap's windows used) */
	knackPerSecond?: number;
	/** the most Knack calls answered 2xx within any one second */
	busiestSecond?: number;
	/** Knack answers 429 */
	refused?: number;
	/** postbacks answered other than 200, by status (wrk only tells how many) */
	failed?: Map<string, number>;
	drainSeconds?: number;
	socketErrors?: number;
}

let idBlock = 0;
/** wrk id ranges that no two wrk runs share, so no postback is ever a duplicate. */
export const nextIdBase = () => ++idBlock * 10_000_000_000;

export interface LoadOptions {
	dir: string;
	sandbox: Sandbox;
	bodyFile: string;
	connections: number;
	warmupSeconds: number;
	seconds: number;
	settings: ServiceSettings;
}

/** wrk against a fresh service: a warm-up (JIT, page cache), then the measured window. */
export async function loadRun(o: LoadOptions): Promise<Sample> {
	await o.sandbox.reset();
	// A store given in the settings may already hold a log: only this run's deliveries count.
	const after = o.settings.store ? await logEnd(o.settings.store) : 0;
	const service = await startService(o.dir, o.sandbox.apiUrl, o.settings);
	const wrk = (seconds: number) =>
		runWrk({ url: service.url, connections: o.connections, seconds, bodyFile: o.bodyFile, idBase: nextIdBase() });
	let sample: Sample;
	try {
		if (o.warmupSeconds > 0) await wrk(o.warmupSeconds);
		const cpu = async () => [await cpuSeconds(service.child.pid), await cpuSeconds(o.sandbox.child.pid)];
		const [serviceBefore = 0, sandboxBefore = 0] = await cpu();
		const started = performance.now();
		const result = await wrk(o.seconds);
		const wall = (performance.now() - started) / 1000;
		const [serviceAfter = 0, sandboxAfter = 0] = await cpu();
		sample = {
			perSecond: result.perSecond,
			p50Ms: result.p50Ms,
			p99Ms: result.p99Ms,
			peakRssMiB: await peakRssMiB(service.child.pid),
			serviceCores: (serviceAfter - serviceBefore) / wall,
			cpuMsPerPostback: ((serviceAfter - serviceBefore) * 1000) / result.requests,
			sandboxCores: (sandboxAfter - sandboxBefore) / wall,
			failed: new Map(result.non2xx > 0 ? [["non-2xx", result.non2xx]] : []),
			socketErrors: result.socketErrors,
		};
	} finally {
		// SIGTERM: the service finishes the postbacks wrk left in flight, so every accepted one made its calls.
		await service.child.stop();
	}
	const stats = await o.sandbox.stats();
	sample.callsPerPostback = stats.total / (await acceptedDeliveries(service.store, after));
	sample.refused = stats.byStatus["429"] ?? 0;
	return sample;
}

export interface BurstOptions {
	dir: string;
	sandbox: Sandbox;
	postbacks: number;
	/** the service's KNACK_RATE_LIMIT, which the sandbox also enforces */
	cap: number;
	deadlineSeconds?: number;
}

/** `postbacks` sent at once to one app, answered under the rate cap; Knack's pace read from the sandbox's call log. */
export async function burstRun(o: BurstOptions): Promise<Sample> {
	await o.sandbox.reset();
	const service = await startService(o.dir, o.sandbox.apiUrl, {
		rateLimit: o.cap,
		deadlineSeconds: o.deadlineSeconds,
	});
	const bodies = Array.from({ length: o.postbacks }, (_, i) => postbackBody(nextIdBase() + i));
	let answers: { status: number; ms: number }[];
	let drainMs: number;
	let rss: number;
	try {
		const started = performance.now();
		answers = await Promise.all(
			bodies.map(async (body) => {
				const sent = performance.now();
				const response = await fetch(`${service.url}/citybase_postback`, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body,
				});
				await response.arrayBuffer();
				return { status: response.status, ms: performance.now() - sent };
			}),
		);
		drainMs = performance.now() - started;
		rss = await peakRssMiB(service.child.pid);
	} finally {
		await service.child.stop();
	}
	const calls = (await o.sandbox.calls()).filter((c) => c.objectKey !== null);
	const { knackPerSecond, busiestSecond } = knackPace(calls);
	const failed = new Map<string, number>();
	for (const a of answers) if (a.status !== 200) failed.set(String(a.status), (failed.get(String(a.status)) ?? 0) + 1);
	const latencies = answers.map((a) => a.ms);
	return {
		perSecond: answers.filter((a) => a.status === 200).length / (drainMs / 1000),
		p50Ms: median(latencies),
		p99Ms: percentile(latencies, 99),
		callsPerPostback: calls.length / (await acceptedDeliveries(service.store)),
		peakRssMiB: rss,
		knackPerSecond,
		busiestSecond,
		refused: (await o.sandbox.stats()).byStatus["429"] ?? 0,
		failed,
		drainSeconds: drainMs / 1000,
	};
}

/**
 * Knack's useful pace: the writes it accepted per second of cap used; a 429 is capacity
 * lost. The cap counts calls in any rolling second, so calls from `first` to `last` used
 * the cap's windows from `first` to `last` + 1 s: dividing by `last - first` alone reads
 * over 100 % on a short burst that never broke the cap.
 */
function knackPace(calls: { at: number; status: number | null }[]): { knackPerSecond: number; busiestSecond: number } {
	const accepted = calls
		.filter((c) => c.status !== null && c.status >= 200 && c.status < 300)
		.map((c) => c.at)
		.sort((a, b) => a - b);
	const span = (Math.max(...calls.map((c) => c.at)) - Math.min(...calls.map((c) => c.at)) + 1000) / 1000;
	let busiestSecond = 0;
	for (let i = 0, j = 0; i < accepted.length; i++) {
		while ((accepted[i] as number) - (accepted[j] as number) >= 1000) j++;
		busiestSecond = Math.max(busiestSecond, i - j + 1);
	}
	return { knackPerSecond: accepted.length > 1 ? accepted.length / span : Number.NaN, busiestSecond };
}

const encoder = new TextEncoder();

async function appendPostback(store: EventStore, id: number): Promise<number> {
	const body = encoder.encode(postbackBody(id));
	const delivery = { body, contentType: "application/json", remoteAddress: "127.0.0.1", requestId: null };
	return (await store.appendDelivery({ ...delivery, receivedAt: Date.now() }, parseDelivery(body))).deliverySeq;
}

function timings(latencies: number[], seconds: number): Sample {
	return { perSecond: latencies.length / seconds, p50Ms: median(latencies), p99Ms: percentile(latencies, 99) };
}

/**
 * `appendDelivery` through the real store, `inFlight` at a time, for `seconds`. One at
 * a time, each append is its own transaction: in WAL mode with synchronous=FULL, one
 * WAL fsync per append. With more in flight, the store may commit several in one
 * transaction (group commit), which this shows. The validation that builds each
 * verdict is done before the clock starts. On PostgreSQL each append is a round trip
 * to the server, and its driver's share of the cost shows.
 */
export async function storeRun(
	dir: string,
	seconds: number,
	inFlight: number,
	run: number,
	/** a new PostgreSQL database to append to instead of a SQLite file */
	databaseUrl: string | null = null,
): Promise<Sample> {
	const storage = await openStorage({ databasePath: join(dir, `append-${inFlight}-${run}.sqlite`), databaseUrl });
	const store = storage.events;
	// Ids may repeat: the log keeps every delivery, duplicates included.
	const prepared = Array.from({ length: 1000 }, (_, i) => {
		const body = encoder.encode(postbackBody(i + 1));
		return { body, verdict: parseDelivery(body) };
	});
	const latencies: number[] = [];
	const started = performance.now();
	const end = started + seconds * 1000;
	let next = 0;
	const worker = async () => {
		while (performance.now() < end) {
			const { body, verdict } = prepared[next++ % prepared.length] as (typeof prepared)[number];
			const delivery = { body, contentType: "application/json", remoteAddress: "127.0.0.1", requestId: null };
			const sent = performance.now();
			await store.appendDelivery({ ...delivery, receivedAt: Date.now() }, verdict);
			latencies.push(performance.now() - sent);
		}
	};
	try {
		await Promise.all(Array.from({ length: inFlight }, worker));
	} finally {
		await storage.close();
	}
	return timings(latencies, (performance.now() - started) / 1000);
}

/**
 * The outcome-recording transaction every postback ends with (`recordOutcomes`: three
 * effect outcomes, `delivery.applied`), timed one at a time with `logged` deliveries
 * already in the log, so that a cost growing with the log shows. The log is filled with
 * synchronous=OFF, which only makes the filling quick; the timed calls run with FULL.
 * SQLite's own adapter, opened directly, since the filling needs its connection.
 */
export async function outcomeRun(dir: string, logged: number, calls: number, run: number): Promise<Sample> {
	const path = join(dir, `outcomes-${run}.sqlite`);
	const sqlite = openDatabase(path);
	const storage = sqliteStorage(sqlite, path);
	const store = storage.events;
	const latencies: number[] = [];
	try {
		sqlite.run("PRAGMA synchronous = OFF");
		for (let id = 1; id <= logged; id++) await appendPostback(store, id);
		sqlite.run("PRAGMA synchronous = FULL");
		const outcomes: Outcome[] = (["message", "parent", "transaction"] as const).map((kind) => ({
			type: EventTypes.effectSucceeded,
			effectKey: kind,
			data: {
				kind,
				by: "postback",
				method: "PUT",
				objectKey: "object_1",
				recordId: "r",
				knackStatus: 200,
				via: "call",
				durationMs: 1,
			},
		}));
		for (let i = 1; i <= calls; i++) {
			const seq = await appendPostback(store, logged + i);
			const started = performance.now();
			await store.recordOutcomes(seq, outcomes, Date.now(), { applied: { performed: 3, skipped: 0 } });
			latencies.push(performance.now() - started);
		}
	} finally {
		await storage.close();
	}
	return timings(latencies, latencies.reduce((a, b) => a + b, 0) / 1000);
}

/** Spawn to the first 200 on GET /, with a new database (its migrations included). */
export async function coldStartRun(dir: string, knackApiUrl: string): Promise<Sample> {
	const service = await startService(dir, knackApiUrl);
	try {
		return { perSecond: Number.NaN, p50Ms: service.startupMs, peakRssMiB: await peakRssMiB(service.child.pid) };
	} finally {
		await service.child.stop();
	}
}

export interface LiveBesideReplayOptions {
	dir: string;
	/** a sandbox that enforces the cap, as Knack does */
	sandbox: Sandbox;
	cap: number;
	/** live postbacks a second, sent one after another at that pace */
	pace: number;
	seconds: number;
	/** payments already in the log that a forced replay of the whole log re-applies meanwhile; 0: no replay */
	replayed: number;
}

/**
 * Live postbacks at a steady pace, with and without `cli replay --force --all` of an
 * older log running beside them on the same store and the same capped Knack: what the
 * shared budget's priorities are for. The replay starts first and is stopped (Ctrl-C)
 * when the live postbacks are done.
 */
export async function liveBesideReplayRun(o: LiveBesideReplayOptions): Promise<Sample> {
	await o.sandbox.reset();
	const service = await startService(o.dir, o.sandbox.apiUrl, { rateLimit: o.cap, deadlineSeconds: 20 });
	let replay: Child | null = null;
	try {
		if (o.replayed > 0) {
			await seedAppliedPayments(service.store.databasePath, o.replayed);
			replay = spawnBun(
				["src/cli.ts", "replay", "--force", "--all", "--yes"],
				replayEnv(service.store.databasePath, o.sandbox.apiUrl, o.cap),
				join(o.dir, `replay-${Date.now()}.log`),
			);
			// Let the replay take its share of the cap before the first live payment arrives.
			await Bun.sleep(2000);
		}
		const latencies: number[] = [];
		const failed = new Map<string, number>();
		const base = nextIdBase();
		const total = Math.round(o.pace * o.seconds);
		const started = performance.now();
		await Promise.all(
			Array.from({ length: total }, async (_, i) => {
				await Bun.sleep((i * 1000) / o.pace);
				const sent = performance.now();
				const response = await fetch(`${service.url}/citybase_postback`, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body: postbackBody(base + i),
				});
				await response.arrayBuffer();
				latencies.push(performance.now() - sent);
				if (response.status !== 200)
					failed.set(String(response.status), (failed.get(String(response.status)) ?? 0) + 1);
			}),
		);
		const wall = (performance.now() - started) / 1000;
		const calls = (await o.sandbox.calls()).filter((c) => c.objectKey !== null);
		return {
			perSecond: latencies.length / wall,
			p50Ms: median(latencies),
			p99Ms: percentile(latencies, 99),
			refused: calls.filter((c) => c.status === 429).length,
			...knackPace(calls),
			failed,
		};
	} finally {
		await replay?.stop();
		await service.child.stop();
	}
}

function replayEnv(databasePath: string, knackApiUrl: string, cap: number): Record<string, string> {
	return {
		CITYBASE_ENV: "development",
		DATABASE_PATH: databasePath,
		KNACK_API_URL: knackApiUrl,
		KNACK_RATE_LIMIT: String(cap),
		POSTBACK_DEADLINE_SECONDS: "20",
		CLAIM_LEASE_SECONDS: "50",
		KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
		KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
		KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
		KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
	};
}

/** Payments recorded as applied, as an older log holds them: what a forced replay re-applies. */
async function seedAppliedPayments(databasePath: string, count: number): Promise<void> {
	const storage = await openStorage({ databasePath });
	try {
		const base = nextIdBase();
		for (let i = 0; i < count; i++) {
			const seq = await appendPostback(storage.events, base + i);
			await storage.events.recordOutcomes(seq, [], Date.now(), { applied: { performed: 3, skipped: 0 } });
		}
	} finally {
		await storage.close();
	}
}

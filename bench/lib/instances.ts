import { join } from "node:path";
import type { StorageConfig } from "../../src/storage/open.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "../../test/support/postgres.ts";
import { cpuSeconds, peakRssMiB } from "./processes.ts";
import { nextIdBase, type Sample } from "./scenarios.ts";
import { acceptedDeliveries, type RunningService, type Sandbox, startService } from "./stack.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/**
 * The intake load against one or several service instances sharing one store: a SQLite
 * file, or a database of a PostgreSQL cluster this bench starts itself (fsync and
 * synchronous_commit at their defaults, on). wrk's connections are split between the
 * instances, one wrk process each, as a load balancer would spread them.
 */
export type StoreKind = "sqlite" | "postgres";

export interface InstancesOptions {
	dir: string;
	sandbox: Sandbox;
	bodyFile: string;
	store: StoreKind;
	instances: number;
	connections: number;
	warmupSeconds: number;
	seconds: number;
	/** where new PostgreSQL databases come from; needed for store "postgres" */
	postgres: PostgresServer | null;
	rateLimit: number;
}

let runs = 0;

export async function instancesRun(o: InstancesOptions): Promise<Sample> {
	await o.sandbox.reset();
	const store = await newStore(o);
	const services: RunningService[] = [];
	let sample: Sample;
	try {
		// One after the other: the first creates and migrates the store.
		for (let i = 0; i < o.instances; i++) {
			services.push(await startService(o.dir, o.sandbox.apiUrl, { rateLimit: o.rateLimit, store }));
		}
		const share = Math.floor(o.connections / o.instances);
		const wrkAll = (seconds: number) =>
			Promise.all(
				services.map((service) =>
					runWrk({ url: service.url, connections: share, seconds, bodyFile: o.bodyFile, idBase: nextIdBase() }),
				),
			);
		if (o.warmupSeconds > 0) await wrkAll(o.warmupSeconds);
		const cpu = () => Promise.all(services.map((s) => cpuSeconds(s.child.pid)));
		const before = await cpu();
		const started = performance.now();
		const results = await wrkAll(o.seconds);
		const wall = (performance.now() - started) / 1000;
		const used = (await cpu()).reduce((sum, after, i) => sum + after - (before[i] ?? 0), 0);
		const requests = total(results, (r) => r.requests);
		const non2xx = total(results, (r) => r.non2xx);
		sample = {
			perSecond: total(results, (r) => r.perSecond),
			// wrk reports percentiles, not histograms: the slower instance's figure bounds the combined one.
			p50Ms: Math.max(...results.map((r) => r.p50Ms)),
			p99Ms: Math.max(...results.map((r) => r.p99Ms)),
			peakRssMiB: Math.max(...(await Promise.all(services.map((s) => peakRssMiB(s.child.pid))))),
			serviceCores: used / wall,
			cpuMsPerPostback: (used * 1000) / requests,
			failed: new Map(non2xx > 0 ? [["non-2xx", non2xx]] : []),
			socketErrors: total(results, (r) => r.socketErrors),
		};
	} finally {
		// SIGTERM: each finishes the postbacks wrk left in flight, so every accepted one made its calls.
		await Promise.all(services.map((s) => s.child.stop()));
	}
	const stats = await o.sandbox.stats();
	sample.callsPerPostback = stats.total / (await acceptedDeliveries(store));
	sample.refused = stats.byStatus["429"] ?? 0;
	return sample;
}

async function newStore(o: InstancesOptions): Promise<StorageConfig> {
	const databasePath = join(o.dir, `instances-${++runs}.sqlite`);
	if (o.store === "sqlite") return { databasePath };
	if (!o.postgres) throw new Error("a PostgreSQL scenario needs a PostgreSQL server");
	return { databasePath, databaseUrl: await o.postgres.createDatabase() };
}

const total = (results: WrkResult[], pick: (r: WrkResult) => number) => results.reduce((n, r) => n + pick(r), 0);

/**
 * A PostgreSQL cluster of the bench's own (CI's shared one is stopped before the bench
 * step), or null with the reason printed when none can be started here. In CI a
 * missing PostgreSQL fails the bench instead: there it must be measured.
 */
export async function benchPostgres(): Promise<PostgresServer | null> {
	const unavailable = postgresUnavailable({ own: true });
	if (!unavailable) return startPostgres({ own: true });
	if (process.env.CI === "true") throw new Error(`PostgreSQL is required in CI for the bench: ${unavailable}`);
	console.log(`PostgreSQL scenarios skipped: ${unavailable}`);
	return null;
}

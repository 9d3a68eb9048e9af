import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallStats, RecordedCall } from "../../src/sandbox/callLog.ts";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import { openStorage, type StorageConfig } from "../../src/storage/open.ts";
import { type Child, freePort, repoRoot, spawnBun, waitUntilUp } from "./processes.ts";

/** The Knack sandbox and the service, each its own process, as in production. */
export interface Sandbox {
	child: Child;
	root: string;
	apiUrl: string;
	stats(): Promise<CallStats>;
	calls(): Promise<RecordedCall[]>;
	reset(): Promise<void>;
}

export async function startSandbox(dir: string, options: { latencyMs: number; rateLimit?: number }): Promise<Sandbox> {
	const port = await freePort();
	const args = ["src/sandbox/main.ts", "--port", String(port), "--latency-ms", String(options.latencyMs)];
	if (options.rateLimit !== undefined) args.push("--rate-limit", String(options.rateLimit));
	const child = spawnBun(args, {}, join(dir, `sandbox-${port}.log`));
	const root = `http://127.0.0.1:${port}`;
	await waitUntilUp(`${root}/__sandbox/stats`);
	const control = async <T>(path: string, method = "GET"): Promise<T> => {
		const response = await fetch(`${root}/__sandbox/${path}`, { method });
		if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status}`);
		return (await response.json()) as T;
	};
	return {
		child,
		root,
		apiUrl: `${root}/v1`,
		stats: () => control<CallStats>("stats"),
		calls: () => control<RecordedCall[]>("calls"),
		reset: async () => void (await control("reset", "POST")),
	};
}

export interface ServiceSettings {
	/** KNACK_RATE_LIMIT; the service's default (10/s) when absent */
	rateLimit?: number;
	/** POSTBACK_DEADLINE_SECONDS; the default (20 s) when absent */
	deadlineSeconds?: number;
	/** the store to share with other instances; a new SQLite file of its own when absent */
	store?: StorageConfig;
	/** without the Dockerfile's JavaScriptCore settings (`deployedRuntimeEnv`), for a baseline */
	bareRuntime?: boolean;
}

/**
 * The JavaScriptCore settings (BUN_JSC_*) the Dockerfile gives the service, so the
 * bench measures the process as it is deployed, whatever the Dockerfile says today.
 */
export function deployedRuntimeEnv(): Record<string, string> {
	const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
	return Object.fromEntries([...dockerfile.matchAll(/\b(BUN_JSC_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

export interface RunningService {
	child: Child;
	url: string;
	store: StorageConfig;
	/** spawn to first 200 on GET / */
	startupMs: number;
}

let instances = 0;

/**
 * A fresh service (new database, new process) against `knackApiUrl`. The environment is
 * built from nothing, so no token, AWS key or setting of the caller's changes what is measured.
 */
export async function startService(
	dir: string,
	knackApiUrl: string,
	settings: ServiceSettings = {},
	bunFlags: string[] = [],
): Promise<RunningService> {
	const n = ++instances;
	const port = await freePort();
	const store = settings.store ?? { databasePath: join(dir, `service-${n}.sqlite`) };
	const env: Record<string, string> = {
		CITYBASE_ENV: "development",
		HOST: "127.0.0.1",
		PORT: String(port),
		DATABASE_PATH: store.databasePath,
		...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
		LOG_LEVEL: "info",
		KNACK_API_URL: knackApiUrl,
		KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
		KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
		KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
		KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
		// Recovery would re-drive the burst's timed-out postbacks in the middle of the measurement.
		RECOVERY_INTERVAL_SECONDS: "3600",
		...(settings.bareRuntime ? {} : deployedRuntimeEnv()),
	};
	if (settings.rateLimit !== undefined) env.KNACK_RATE_LIMIT = String(settings.rateLimit);
	if (settings.deadlineSeconds !== undefined) {
		env.POSTBACK_DEADLINE_SECONDS = String(settings.deadlineSeconds);
		env.CLAIM_LEASE_SECONDS = String(settings.deadlineSeconds + 30);
	}
	const started = performance.now();
	const child = spawnBun([...bunFlags, "src/index.ts"], env, join(dir, `service-${n}.log`));
	const url = `http://127.0.0.1:${port}`;
	try {
		const startupMs = await waitUntilUp(`${url}/`, 15_000, started);
		return { child, url, store, startupMs };
	} catch (error) {
		await child.stop();
		throw error;
	}
}

/** Postbacks that reached the log as accepted deliveries after position `after` (read after the service stopped). */
export async function acceptedDeliveries(store: StorageConfig, after = 0): Promise<number> {
	const storage = await openStorage(store);
	try {
		const last = await storage.events.lastSeq();
		// Awaited here, before the finally closes the store: PostgreSQL answers asynchronously.
		return last <= after ? 0 : await storage.queries.countAccepted(after + 1, last);
	} finally {
		await storage.close();
	}
}

/** The last position in an existing store's log: where a run against it starts counting. */
export async function logEnd(store: StorageConfig): Promise<number> {
	const storage = await openStorage(store);
	try {
		return await storage.events.lastSeq();
	} finally {
		await storage.close();
	}
}

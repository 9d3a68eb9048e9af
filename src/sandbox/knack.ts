/**
 * The Knack sandbox: an HTTP emulator of Knack's REST API, the test double for the suite
 * and the default Knack for a developer. Only this module starts a server; the rest are
 * plain parts it wires together.
 */
import { createApiHandler } from "./api.ts";
import { CallLog, type RecordedCall } from "./callLog.ts";
import { createControlHandler } from "./control.ts";
import { type Fault, FaultQueue } from "./faults.ts";
import { formatRecord, type KnackRecord } from "./format.ts";
import { knackError } from "./http.ts";
import { RateLimiter } from "./rateLimit.ts";
import { type ConnectionSchema, RecordStore, type SandboxSeed } from "./records.ts";

export type { CallStats, RecordedCall } from "./callLog.ts";
export type { Fault } from "./faults.ts";
export type { KnackRecord } from "./format.ts";
export type { Connection, ConnectionField, ConnectionSchema, SandboxSeed, StoredRecord } from "./records.ts";

export interface SandboxAppCredentials {
	appId: string;
	apiKey: string;
}

export interface SandboxOptions {
	/** Default 127.0.0.1. */
	hostname?: string;
	/** Default 0: a free port. */
	port?: number;
	/** Accepted app id/key pairs; records are kept per app id. */
	apps: SandboxAppCredentials[];
	seed?: SandboxSeed;
	/** Added to every Knack API answer (not to control endpoints). */
	latencyMs?: number;
	/** Requests per app in any rolling second before answering 429; off when unset. */
	rateLimitPerSecond?: number;
	connections?: ConnectionSchema;
}

export interface KnackSandbox {
	/** Base URL to use as KNACK_API_URL, e.g. "http://127.0.0.1:41234/v1". */
	url: string;
	calls(): RecordedCall[];
	clearCalls(): void;
	inject(fault: Fault): void;
	clearFaults(): void;
	/** Stored records, formatted as a GET would answer. Throws for an unknown app id. */
	records(appId: string, objectKey: string): KnackRecord[];
	/** Seeds or edits a record behind the service's back; returns its id. */
	put(appId: string, objectKey: string, record: Record<string, unknown> & { id?: string }): string;
	/** Back to the seed, no calls, no faults. */
	reset(): void;
	stop(): Promise<void>;
}

export function startKnackSandbox(options: SandboxOptions): KnackSandbox {
	const keys = new Map(options.apps.map((app) => [app.appId, app.apiKey]));
	const store = new RecordStore([...keys.keys()], options.connections);
	const calls = new CallLog();
	const faults = new FaultQueue();
	const limiter = options.rateLimitPerSecond ? new RateLimiter(options.rateLimitPerSecond) : undefined;
	const seed = options.seed ?? {};
	store.load(seed);

	function reset(): void {
		store.clear();
		store.load(seed);
		calls.clear();
		faults.clear();
		limiter?.clear();
	}

	const api = createApiHandler({ keys, store, calls, faults, limiter, latencyMs: options.latencyMs ?? 0 });
	const control = createControlHandler({ store, calls, faults, reset });

	const hostname = options.hostname ?? "127.0.0.1";
	const server = Bun.serve({
		hostname,
		port: options.port ?? 0,
		// Injected delays may outlast Bun's default 10 s idle timeout; the client decides when to give up.
		idleTimeout: 0,
		development: false,
		fetch(req) {
			const url = new URL(req.url);
			return url.pathname.startsWith("/__sandbox/") ? control(req, url) : api(req, url);
		},
		error(error) {
			return knackError(500, `Sandbox error: ${error.message}`);
		},
	});

	// A wildcard address is not one a client can dial.
	const host = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
	return {
		url: `http://${host}:${server.port}/v1`,
		calls: () => calls.all(),
		clearCalls: () => calls.clear(),
		inject: (fault) => faults.push(fault),
		clearFaults: () => faults.clear(),
		records: (appId, objectKey) => store.list(appId, objectKey).map(formatRecord),
		put: (appId, objectKey, record) => store.put(appId, objectKey, record).id,
		reset,
		stop: () => server.stop(true),
	};
}

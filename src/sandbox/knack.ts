/**
 * The Knack sandbox: an HTTP emulator of Knack's REST API, the test double for the suite
 * and the default Knack for a developer. Only this module starts a server; the rest are
 * plain parts it wires together.
 */
import { createApiHandler } from "./api.ts";
import { BurstLimit, DEFAULT_RATE_LIMIT_PER_SECOND } from "./burstLimit.ts";
import { CallLog, type RecordedCall } from "./callLog.ts";
import { createControlHandler } from "./control.ts";
import { type Fault, FaultQueue } from "./faults.ts";
import { type FormattedRecord, formatRecord } from "./format.ts";
import { knackError } from "./http.ts";
import { DEFAULT_DAILY_LIMIT, PlanQuota, parseQuotaChange, type QuotaChange, type QuotaState } from "./quota.ts";
import { type ConnectionSchema, RecordStore, type SandboxSeed } from "./records.ts";

export { DAILY_LIMIT_MESSAGE } from "./api.ts";
export type { CallStats, RecordedCall } from "./callLog.ts";
export type { Fault } from "./faults.ts";
export type { FormattedRecord } from "./format.ts";
export type { QuotaChange, QuotaState } from "./quota.ts";
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
	/** Requests per app in any rolling second before answering 429; default 1,000,000 (in effect off). */
	rateLimitPerSecond?: number;
	/** Calls per app per UTC day before answering 429: one number for every app, or per app id; default 1,000,000. */
	dailyLimit?: number | Record<string, number>;
	connections?: ConnectionSchema;
	/** Milliseconds since the epoch; default Date.now. For tests that cross midnight UTC. */
	clock?: () => number;
}

export interface KnackSandbox {
	/** Base URL to use as KNACK_API_URL, e.g. "http://127.0.0.1:41234/v1". */
	url: string;
	calls(): RecordedCall[];
	clearCalls(): void;
	inject(fault: Fault): void;
	clearFaults(): void;
	/** Stored records, formatted as a GET would answer. Throws for an unknown app id. */
	records(appId: string, objectKey: string): FormattedRecord[];
	/** Seeds or edits a record behind the service's back; returns its id. */
	put(appId: string, objectKey: string, record: Record<string, unknown> & { id?: string }): string;
	/** Each app's daily plan as the X-PlanLimit headers would show it now. */
	quota(): Record<string, QuotaState>;
	/** Sets the daily limit and/or the calls left today, of one app or (without appId) all. */
	setQuota(change: QuotaChange): void;
	/** Starts a new plan day (remaining = limit) for one app or all. */
	resetQuota(appId?: string): void;
	/** Back to the seed, no calls, no faults, configured limits and a fresh plan day. */
	reset(): void;
	stop(): Promise<void>;
}

function dailyLimits(keys: Map<string, string>, option: SandboxOptions["dailyLimit"]): Map<string, number> {
	if (typeof option === "object") {
		const stray = Object.keys(option).find((appId) => !keys.has(appId));
		if (stray !== undefined) throw new Error(`dailyLimit names an app the sandbox does not have: ${stray}`);
	}
	const limitOf = (appId: string) => (typeof option === "number" ? option : option?.[appId]) ?? DEFAULT_DAILY_LIMIT;
	return new Map([...keys.keys()].map((appId) => [appId, limitOf(appId)]));
}

export function startKnackSandbox(options: SandboxOptions): KnackSandbox {
	const keys = new Map(options.apps.map((app) => [app.appId, app.apiKey]));
	const store = new RecordStore([...keys.keys()], options.connections);
	const calls = new CallLog();
	const faults = new FaultQueue();
	const clock = options.clock ?? Date.now;
	const burstLimit = new BurstLimit(options.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND);
	const quota = new PlanQuota(dailyLimits(keys, options.dailyLimit), clock());
	const seed = options.seed ?? {};
	store.load(seed);

	function reset(): void {
		store.clear();
		store.load(seed);
		calls.clear();
		faults.clear();
		burstLimit.clear();
		quota.restore(clock());
	}

	const api = createApiHandler({
		keys,
		store,
		calls,
		faults,
		burstLimit,
		quota,
		latencyMs: options.latencyMs ?? 0,
		clock,
	});
	const control = createControlHandler({ store, calls, faults, quota, clock, reset });

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
		quota: () => quota.all(clock()),
		setQuota: (change) => quota.change(parseQuotaChange(change), clock()),
		resetQuota: (appId) => quota.resetDay(appId, clock()),
		reset,
		stop: () => server.stop(true),
	};
}

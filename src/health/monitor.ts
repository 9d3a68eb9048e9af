import type { Logger } from "../logging/logger.ts";
import { type QuotaState, remainingQuota } from "../projections/knack/budget.ts";
import type { EventStore, KnackBudgetStore, OperatorQueries, StoreProbe } from "../storage/storage.ts";
import {
	type BacklogSignals,
	type CheckResult,
	type CheckState,
	type HealthConfig,
	healthChecks,
	storeResult,
	type WriteOutcome,
	worst,
} from "./checks.ts";
import { createKnackCallTracker } from "./knackCalls.ts";
import { describeStoreError } from "./storeErrors.ts";
import { watchWrites } from "./watchWrites.ts";

/**
 * Keeps the signals the checks read and turns them into the health report. What costs
 * I/O (free space, the backlog query, a probe write) is sampled on a timer in the
 * background; `report()` only evaluates what is in memory, so `GET /` can be polled
 * every few seconds at no cost to the store. A check's change of state is logged once,
 * by whichever evaluation sees it first.
 */
export interface HealthReport {
	status: CheckState;
	checks: Record<string, CheckResult & { since: number }>;
}

/**
 * "May this instance receive postbacks?" (docs/design.md §9), for a load balancer and a container
 * engine: only what this instance needs to record one (its store accepts writes, it is
 * not shutting down), never Knack or the backlog, whose troubles every instance shares.
 */
export interface Readiness {
	ready: boolean;
	reason: string;
}

export interface HealthMonitorOptions {
	config: HealthConfig;
	probe: StoreProbe;
	queries: Pick<OperatorQueries, "backlog">;
	/** where the daily quota Knack last reported is kept, shared by every process */
	budget: Pick<KnackBudgetStore, "quotas">;
	/** the Knack apps, so each shows in the report before its first call */
	apps: readonly string[];
	/** the CloudWatch sink, when logging there */
	cloudWatch?: { stats(): { dropped: number } } | null;
	logger: Logger;
	clock: () => number;
}

export interface HealthMonitor {
	/** The store with each write's outcome reported here. */
	watch(store: EventStore): EventStore;
	/** For the Knack client's `onCall` hook. */
	knackCall(call: { app: string; status: number | null }): void;
	report(): HealthReport;
	/** From what is in memory, like `report()`: constant in cost. */
	readiness(): Readiness;
	/** Readiness fails from now on, so a balancer stops sending before the server stops. */
	shuttingDown(): void;
	/** Samples now, then every `sampleIntervalMs`. */
	start(): void;
	/** Stops sampling; resolves once a sample under way is done (before the store closes). */
	stop(): Promise<void>;
}

const DAY_MS = 86_400_000;
/**
 * A write or a Knack call re-evaluates the checks at most this often, the last signal
 * always included (a trailing evaluation): evaluating on each of them cost a few percent
 * of a postback's CPU under load, and a change of state is still logged within this.
 */
const REEVALUATE_MS = 200;

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
	const { config, probe, queries, budget, cloudWatch, logger, clock } = options;
	const knack = createKnackCallTracker(options.apps, config.knackWindowMs);
	let write: WriteOutcome | null = null;
	let probed: WriteOutcome | null = null;
	let freeBytes: number | null = null;
	let backlog: BacklogSignals | null = null;
	let quotas = new Map<string, QuotaState>();
	// Samples of the sink's drop count, from a zero at start, so drops before the first sample count too.
	const drops: { at: number; dropped: number }[] = cloudWatch ? [{ at: clock(), dropped: 0 }] : [];
	const current = new Map<string, { state: CheckState; since: number }>();
	let timer: ReturnType<typeof setInterval> | null = null;
	let sampling: Promise<void> | null = null;
	let evaluatedAt = Number.NEGATIVE_INFINITY;
	let trailing: ReturnType<typeof setTimeout> | null = null;
	let stopping = false;
	let sampledAt = Number.NEGATIVE_INFINITY;
	let wasReady: Readiness = { ready: true, reason: "" };

	function signalChanged() {
		const since = performance.now() - evaluatedAt;
		if (since >= REEVALUATE_MS) {
			evaluatedAt = performance.now();
			report();
			return;
		}
		trailing ??= setTimeout(() => {
			trailing = null;
			evaluatedAt = performance.now();
			report();
		}, REEVALUATE_MS - since);
		trailing.unref();
	}

	function droppedInWindow(now: number) {
		while (drops.length > 1 && now - (drops[1]?.at ?? now) >= config.logsWindowMs) drops.shift();
		const first = drops[0];
		const last = drops.at(-1);
		return first && last ? last.dropped - first.dropped : 0;
	}

	function report(): HealthReport {
		const now = clock();
		const signals = {
			now,
			store: { write, probe: probed, freeBytes },
			knack: Object.fromEntries(
				Object.entries(knack.signals(now)).map(([app, signals]) => {
					const last = quotas.get(app);
					const quota = last
						? { remaining: remainingQuota(last, now), limit: last.planLimit, resetAt: last.planResetAt }
						: null;
					return [app, { ...signals, quota }];
				}),
			),
			backlog,
			logs: cloudWatch ? { dropped: cloudWatch.stats().dropped, droppedInWindow: droppedInWindow(now) } : null,
		};
		const checks: HealthReport["checks"] = {};
		for (const check of healthChecks) {
			const result = check.evaluate(signals, config);
			let seen = current.get(check.name);
			if (seen?.state !== result.state) {
				// A service that starts healthy says nothing; one that starts unwell says so.
				if (seen || result.state !== "ok") logChange(check.name, seen?.state ?? null, result);
				seen = { state: result.state, since: now };
				current.set(check.name, seen);
			}
			checks[check.name] = { ...result, since: seen.since };
		}
		return { status: worst(Object.values(checks).map((c) => c.state)), checks };
	}

	function logChange(check: string, previous: CheckState | null, result: CheckResult) {
		const level = result.state === "failing" ? "error" : result.state === "degraded" ? "warn" : "info";
		logger[level](`health check ${result.state}`, {
			health_check: check,
			health_state: result.state,
			previous_state: previous,
			reason: result.reason,
			...(result.detail ? { detail: result.detail } : {}),
		});
	}

	function readiness(): Readiness {
		const store = storeResult({ write, probe: probed, freeBytes }, config);
		const answer: Readiness = stopping
			? { ready: false, reason: "shutting down: finishing the postbacks in flight" }
			: store.state === "failing"
				? { ready: false, reason: store.reason }
				: { ready: true, reason: "the event log accepts writes" };
		if (answer.ready !== wasReady.ready) {
			logger[answer.ready ? "info" : "warn"](answer.ready ? "ready for postbacks" : "not ready for postbacks", {
				reason: answer.reason,
			});
		}
		wasReady = answer;
		return answer;
	}

	async function sample() {
		const now = clock();
		freeBytes = await probe.freeBytes().catch(() => null);
		// Without a write of its own since the last sample, the store has nothing to judge it
		// by, and readiness would not see it stop accepting writes until a postback failed
		// there: a probe (one row written and deleted) keeps both answers a sample old at most.
		const wroteSince = write !== null && write.error === null && write.at > sampledAt;
		sampledAt = now;
		if (!wroteSince) {
			probed = await probe.write().then(
				() => ({ at: clock(), error: null }),
				(error) => failed(clock(), error),
			);
		}
		try {
			backlog = { at: now, ...(await queries.backlog(now - DAY_MS)) };
		} catch (error) {
			backlog = failed(now, error);
		}
		quotas = await budget.quotas().catch(() => quotas);
		if (cloudWatch) drops.push({ at: now, dropped: cloudWatch.stats().dropped });
		report();
	}

	function sampleOnce() {
		sampling ??= sample()
			.catch((error) =>
				logger.warn("health sampling failed; it will try again", { error: describeStoreError(error).detail }),
			)
			.finally(() => {
				sampling = null;
			});
	}

	return {
		watch: (store) =>
			watchWrites(store, (error) => {
				write = error === null ? { at: clock(), error: null } : failed(clock(), error);
				signalChanged();
			}),
		knackCall({ app, status }) {
			knack.record(app, { at: clock(), status });
			signalChanged();
		},
		report,
		readiness,
		shuttingDown() {
			stopping = true;
			readiness();
		},
		start() {
			sampleOnce();
			timer = setInterval(sampleOnce, config.sampleIntervalMs);
			timer.unref();
		},
		async stop() {
			if (timer) clearInterval(timer);
			if (trailing) clearTimeout(trailing);
			await sampling;
		},
	};
}

/** A failed store operation: described in words for the answer, its own text kept for the log. */
function failed(at: number, error: unknown): { at: number; error: string; detail: string } {
	const { description, detail } = describeStoreError(error);
	return { at, error: description, detail };
}

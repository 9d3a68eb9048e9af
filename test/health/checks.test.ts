import { describe, expect, test } from "bun:test";
import { type CheckResult, type HealthConfig, healthChecks, type Signals } from "../../src/health/checks.ts";
import { createKnackCallTracker } from "../../src/health/knackCalls.ts";

/** The checks as pure functions: given what the service saw, which state and why. */

const MB = 1_048_576;
const config: HealthConfig = {
	sampleIntervalMs: 5_000,
	storeMinFreeBytes: 100 * MB,
	knackWindowMs: 300_000,
	knackAuthFailures: 3,
	backlogDegradedMs: 30 * 60_000,
	backlogFailingMs: 240 * 60_000,
	logsWindowMs: 900_000,
	knackDailyReserve: 500,
};
/** The tracker's signals with the quota the sampler adds: none known, unless given. */
function withQuota(
	signals: ReturnType<ReturnType<typeof createKnackCallTracker>["signals"]>,
	quota: Signals["knack"][string]["quota"] = null,
): Signals["knack"] {
	return Object.fromEntries(Object.entries(signals).map(([app, s]) => [app, { ...s, quota }]));
}
const now = 1_800_000_000_000;

function healthy(): Signals {
	return {
		now,
		store: { write: { at: now - 1_000, error: null }, probe: null, freeBytes: 5_000 * MB },
		knack: withQuota(createKnackCallTracker(["STREET_BANNER", "SMART_MOBILITY"], config.knackWindowMs).signals(now)),
		backlog: { at: now, pending: 0, oldestReceivedAt: null, deadLettered: 0 },
		logs: null,
	};
}

function check(name: string, signals: Signals): CheckResult {
	const definition = healthChecks.find((c) => c.name === name);
	if (!definition) throw new Error(`no check ${name}`);
	return definition.evaluate(signals, config);
}

function knackAfter(calls: { ago: number; status: number | null }[]): Signals {
	const tracker = createKnackCallTracker(["STREET_BANNER", "SMART_MOBILITY"], config.knackWindowMs);
	for (const call of calls) tracker.record("STREET_BANNER", { at: now - call.ago, status: call.status });
	return { ...healthy(), knack: withQuota(tracker.signals(now)) };
}

describe("Knack's daily quota", () => {
	const withRemaining = (remaining: number): Signals => {
		const signals = healthy();
		const banner = signals.knack.STREET_BANNER;
		if (!banner) throw new Error("no STREET_BANNER signals");
		banner.quota = { remaining, limit: 10_000, resetAt: now + 3_600_000 };
		return signals;
	};
	test("ok above the reserve, with the figures shown", () => {
		const result = check("knack", withRemaining(600));
		expect(result.state).toBe("ok");
		expect(result.facts).toMatchObject({ apps: { STREET_BANNER: { quota_remaining: 600, quota_limit: 10_000 } } });
	});
	test("degraded under the reserve: replays have stopped", () => {
		const result = check("knack", withRemaining(499));
		expect(result.state).toBe("degraded");
		expect(result.reason).toContain("STREET_BANNER: 499 calls left of the daily Knack quota, under the reserve of 500");
	});
	test("failing when spent: every payment waits for the reset", () => {
		const result = check("knack", withRemaining(0));
		expect(result.state).toBe("failing");
		expect(result.reason).toContain("STREET_BANNER: the daily Knack quota is exhausted");
	});
});

test("a service that has seen nothing wrong is ok on every check", () => {
	for (const { name } of healthChecks) expect(check(name, healthy()).state).toBe("ok");
});

describe("store", () => {
	const store = (s: Partial<Signals["store"]>) => check("store", { ...healthy(), store: { ...healthy().store, ...s } });
	const full = "SQLITE_FULL: database or disk is full";

	test("failing while the last write failed, with the store's own error", () => {
		expect(store({ write: { at: now, error: full } })).toMatchObject({
			state: "failing",
			reason: `the last write to the event log failed: ${full}`,
		});
	});
	test("a later successful probe clears a failed write once there is room again, not before", () => {
		const failed = { at: now - 10_000, error: full };
		const probe = { at: now - 1_000, error: null };
		expect(store({ write: failed, probe, freeBytes: 200 * MB }).state).toBe("ok");
		expect(store({ write: failed, probe, freeBytes: 10 * MB }).state).toBe("failing");
		expect(store({ write: failed, probe: { at: now - 20_000, error: null }, freeBytes: 200 * MB }).state).toBe(
			"failing",
		);
	});
	test("a failed probe is failing until a later write or probe succeeds", () => {
		const probe = { at: now - 1_000, error: "SQLITE_READONLY: attempt to write a readonly database" };
		expect(store({ write: { at: now - 60_000, error: null }, probe })).toMatchObject({
			state: "failing",
			reason: "a test write to the event log failed: SQLITE_READONLY: attempt to write a readonly database",
		});
		expect(store({ write: { at: now, error: null }, probe }).state).toBe("ok");
	});
	test("degraded under the free space floor; a store that cannot tell its free space is judged by its writes", () => {
		expect(store({ freeBytes: 99 * MB })).toMatchObject({ state: "degraded", facts: { free_bytes: 99 * MB } });
		expect(store({ freeBytes: null }).state).toBe("ok");
	});
});

describe("knack", () => {
	test(`failing on ${config.knackAuthFailures} refusals of our credentials in a row, naming the app`, () => {
		const twice = knackAfter([
			{ ago: 3, status: 401 },
			{ ago: 2, status: 401 },
		]);
		expect(check("knack", twice).state).toBe("ok");
		const result = check("knack", knackAfter([401, 403, 401].map((status, i) => ({ ago: 10 - i, status }))));
		expect(result.state).toBe("failing");
		expect(result.reason).toStartWith("STREET_BANNER: Knack refused our credentials (401) on the last 3 calls");
		expect(result.facts).toMatchObject({
			apps: { STREET_BANNER: { state: "failing" }, SMART_MOBILITY: { state: "ok" } },
		});
	});
	test("an answer other than a refusal ends the run of refusals", () => {
		const calls = [401, 401, 404, 401].map((status, i) => ({ ago: 10 - i, status }));
		expect(check("knack", knackAfter(calls)).state).toBe("ok");
	});
	test("degraded on 5xx, 429 or no answer inside the window; ok once a success follows and the window is clear", () => {
		for (const status of [500, 503, 429, null]) {
			expect(check("knack", knackAfter([{ ago: 1_000, status }])).state).toBe("degraded");
		}
		const recovered = [
			{ ago: 60_000, status: 500 },
			{ ago: 1_000, status: 200 },
		];
		expect(check("knack", knackAfter(recovered))).toMatchObject({ state: "degraded" });
		expect(check("knack", knackAfter(recovered)).reason).toContain("Knack answers again; 1 call went wrong");
		const old = [
			{ ago: config.knackWindowMs + 1, status: 500 },
			{ ago: 1_000, status: 200 },
		];
		expect(check("knack", knackAfter(old)).state).toBe("ok");
	});
	test("a failure with nothing since stays degraded after the window: nobody has seen Knack answer", () => {
		expect(check("knack", knackAfter([{ ago: config.knackWindowMs * 2, status: 502 }])).state).toBe("degraded");
	});
	test("a refused request (400, 404) is our problem, not Knack's", () => {
		expect(check("knack", knackAfter([{ ago: 1, status: 400 }])).state).toBe("ok");
	});
});

describe("backlog", () => {
	const backlog = (b: Partial<{ pending: number; oldestReceivedAt: number | null; deadLettered: number }>) =>
		check("backlog", {
			...healthy(),
			backlog: { at: now, pending: 0, oldestReceivedAt: null, deadLettered: 0, ...b },
		});
	test("degraded past the first threshold, failing past the second, by the age of the oldest", () => {
		expect(backlog({ pending: 3, oldestReceivedAt: now - 29 * 60_000 }).state).toBe("ok");
		expect(backlog({ pending: 3, oldestReceivedAt: now - 31 * 60_000 })).toMatchObject({
			state: "degraded",
			reason: "3 deliveries not yet in Knack, the oldest for 31 min (over 30 min)",
			facts: { pending: 3, oldest_age_seconds: 31 * 60 },
		});
		expect(backlog({ pending: 1, oldestReceivedAt: now - 241 * 60_000 }).state).toBe("failing");
	});
	test("a dead letter in the last 24 h is degraded: it needs a replay", () => {
		expect(backlog({ deadLettered: 2 })).toMatchObject({ state: "degraded", facts: { dead_lettered_24h: 2 } });
	});
	test("a log that cannot be read is failing", () => {
		expect(check("backlog", { ...healthy(), backlog: { at: now, error: "SQLITE_CORRUPT" } }).state).toBe("failing");
	});
});

describe("logs", () => {
	test("degraded while lines were dropped before CloudWatch inside the window", () => {
		expect(check("logs", { ...healthy(), logs: { dropped: 12, droppedInWindow: 2 } })).toMatchObject({
			state: "degraded",
			facts: { dropped_since_start: 12 },
		});
		expect(check("logs", { ...healthy(), logs: { dropped: 12, droppedInWindow: 0 } }).state).toBe("ok");
	});
});

import { expect, test } from "bun:test";
import type { Quota } from "../../src/projections/knack/quotaHeaders.ts";
import { QUOTA_WRITE_INTERVAL_MS, shouldRecordQuota } from "../../src/projections/knack/quotaRecording.ts";

/** Which Knack quota headers are written to the shared budget (quotaRecording.ts). */
const policy = { dailyReserve: 500 };
const at = 1_800_000_000_000;
const headers = (overrides: Partial<Quota> = {}): Quota => ({
	planLimit: 25_000,
	planRemaining: 20_000,
	planResetAt: at + 3_600_000,
	rateLimit: 10,
	rateRemaining: 9,
	rateResetAt: at + 1000,
	seenAt: at,
	...overrides,
});
const later = (ms: number, overrides: Partial<Quota> = {}) => headers({ seenAt: at + ms, ...overrides });

test("the first headers of an app are written, the next ones of the same second are not", () => {
	expect(shouldRecordQuota(undefined, headers(), policy)).toBe(true);
	expect(shouldRecordQuota(headers(), later(10, { planRemaining: 19_990 }), policy)).toBe(false);
	expect(shouldRecordQuota(headers(), later(QUOTA_WRITE_INTERVAL_MS - 1, { planRemaining: 19_000 }), policy)).toBe(
		false,
	);
});

test("after an interval the headers are written again, so the figures shown stay current", () => {
	expect(shouldRecordQuota(headers(), later(QUOTA_WRITE_INTERVAL_MS), policy)).toBe(true);
});

test("a new plan day or a new plan is written at once; the reset's wobble of latency is not a new day", () => {
	expect(shouldRecordQuota(headers(), later(5, { planResetAt: at + 3_600_000 + 40 }), policy)).toBe(false);
	expect(shouldRecordQuota(headers(), later(5, { planResetAt: at + 3_600_000 + 86_400_000 }), policy)).toBe(true);
	expect(shouldRecordQuota(headers(), later(5, { planResetAt: null }), policy)).toBe(true);
	expect(shouldRecordQuota(headers(), later(5, { planLimit: 50_000 }), policy)).toBe(true);
});

test("near the daily reserve every answer is written, so every process sees the line when it is crossed", () => {
	const near = headers({ planRemaining: 560 });
	expect(shouldRecordQuota(near, later(5, { planRemaining: 551 }), policy)).toBe(false);
	expect(shouldRecordQuota(near, later(5, { planRemaining: 550 }), policy)).toBe(true);
	expect(shouldRecordQuota(near, later(5, { planRemaining: 0 }), policy)).toBe(true);
});

test("headers that stop or start showing the plan are written once, not on every answer", () => {
	expect(shouldRecordQuota(headers(), later(5, { planRemaining: null }), policy)).toBe(true);
	const unknown = headers({ planRemaining: null });
	expect(shouldRecordQuota(unknown, later(5, { planRemaining: null }), policy)).toBe(false);
	expect(shouldRecordQuota(unknown, later(5), policy)).toBe(true);
});

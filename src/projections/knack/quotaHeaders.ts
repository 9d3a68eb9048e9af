import type { QuotaState } from "./budget.ts";

/**
 * Knack's six limit headers, read from any answer (docs/design.md §3): X-PlanLimit-Limit,
 * -Remaining and -Reset for the daily plan quota, X-RateLimit-Limit, -Remaining and
 * -Reset for the burst window. Their documented units: the plan reset is milliseconds
 * until the plan day ends (about 00:00 UTC), the burst reset epoch seconds. A value in
 * another unit than documented is recognised by its size rather than believed, and a
 * header that is absent stays unknown: no number is ever guessed.
 */
export type Quota = Omit<QuotaState, "grantedSince">;

const DAY_MS = 86_400_000;

export function readQuota(headers: Headers, now: number): Quota | null {
	const int = (name: string) => {
		const raw = headers.get(name);
		if (raw === null || raw.trim() === "") return null;
		const value = Number(raw);
		return Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
	};
	const quota: Quota = {
		planLimit: int("x-planlimit-limit"),
		planRemaining: int("x-planlimit-remaining"),
		planResetAt: instant(int("x-planlimit-reset"), now, "ms-until"),
		rateLimit: int("x-ratelimit-limit"),
		rateRemaining: int("x-ratelimit-remaining"),
		rateResetAt: instant(int("x-ratelimit-reset"), now, "epoch-seconds"),
		seenAt: now,
	};
	const known = [quota.planLimit, quota.planRemaining, quota.rateLimit, quota.rateRemaining].some((v) => v !== null);
	return known ? quota : null;
}

function instant(value: number | null, now: number, documented: "ms-until" | "epoch-seconds"): number | null {
	if (value === null) return null;
	if (value >= 1e12) return value; // epoch milliseconds
	if (value >= 1e9) return value * 1000; // epoch seconds
	if (documented === "ms-until") return value <= 2 * DAY_MS ? now + value : null;
	return value <= 3600 ? now + value * 1000 : null; // seconds until, from a client that counts that way
}

/** When the plan day ends if Knack did not say: 00:00 UTC, where the real answers put it. */
export function nextUtcMidnight(now: number): number {
	return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

/**
 * A 429 is the daily quota, not the burst limit, when the plan has nothing left or its
 * body says so; the burst limit answers "Rate limit exceeded" with quota to spare.
 */
export function isDailyQuota429(quota: Quota | null, body: string): boolean {
	if (quota?.planRemaining === 0) return true;
	return /daily|plan limit|per day/i.test(body);
}

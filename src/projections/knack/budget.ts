import { type Static, Type as T } from "@sinclair/typebox";

/**
 * The Knack budget, decided as data: who may send the next call to an app. Knack allows
 * `perSecond` calls per app in any second, and a daily plan quota shared with every
 * other integration the city runs. Every process asks the store, which keeps the recent
 * grants and the last quota Knack reported, and applies `decide` to them inside one
 * short transaction, so N processes together stay under the cap. Pure.
 *
 * Live postbacks come first, recovery next, operator work (replay, verify) last: a
 * lower class may only take a slot of a second when it leaves slots free for the
 * classes above it (one for recovery, two for operator work), so a live payment
 * arriving finds a free slot instead of queueing behind a replay, while a replay still
 * gets everything else live traffic leaves. In process, a waiting higher class is
 * always served first.
 */
export const Priority = T.Union([T.Literal("live"), T.Literal("recovery"), T.Literal("operator")]);
export type Priority = Static<typeof Priority>;

export const priorityRank: Record<Priority, number> = { live: 0, recovery: 1, operator: 2 };

/** The daily plan quota as Knack last reported it, with the calls granted since. */
export const QuotaState = T.Object({
	planLimit: T.Union([T.Integer(), T.Null()]),
	planRemaining: T.Union([T.Integer(), T.Null()]),
	/** when the plan day ends (ms since the epoch), from X-PlanLimit-Reset */
	planResetAt: T.Union([T.Number(), T.Null()]),
	rateLimit: T.Union([T.Integer(), T.Null()]),
	rateRemaining: T.Union([T.Integer(), T.Null()]),
	/** when the burst window frees a slot (ms since the epoch), from X-RateLimit-Reset */
	rateResetAt: T.Union([T.Number(), T.Null()]),
	/** when these headers were read */
	seenAt: T.Number(),
	/** calls granted since, by every process: what Knack has counted that the headers do not show yet */
	grantedSince: T.Integer(),
});
export type QuotaState = Static<typeof QuotaState>;

export interface BudgetPolicy {
	perSecond: number;
	/** calls of the daily quota that operator work never takes, so live payments keep them */
	dailyReserve: number;
}

export interface Grant {
	at: number;
	priority: Priority;
}

export type Decision =
	| { kind: "grant" }
	| { kind: "wait"; until: number }
	| { kind: "quota"; why: "exhausted" | "reserve"; resetAt: number | null; remaining: number };

export const WINDOW_MS = 1000;
/**
 * A slot is counted free this much later than a second after its grant: the lateness a
 * used grant's call may have (rateLimiter.ts's STALE_GRANT_MS, 50 ms), and up to 100 ms
 * more between sending a call and Knack counting it (its way there; on a loaded machine,
 * the HTTP client's own turn). At 50 ms, beside a CPU hog on two cores, 8 runs of 10 of
 * test/budget/shared-cap.test.ts saw 11 to 14 calls in a second; at 150 with stale grants
 * let go, none of 10. The cost: at the cap, 10 calls take 1.15 s (8.7 a second, was 9.5).
 */
export const MARGIN_MS = 150;

/** Slots of a second a class must leave free for the classes above it; never all, so no class starves. */
const headroom = (priority: Priority, perSecond: number) => Math.min(priorityRank[priority], perSecond - 1);

/** What is left of the daily quota, or null when unknown (no headers yet, or the plan day has reset since). */
export function remainingQuota(quota: QuotaState | null, now: number): number | null {
	if (!quota || quota.planRemaining === null) return null;
	if (quota.planResetAt !== null && quota.planResetAt <= now) return null;
	return quota.planRemaining - quota.grantedSince;
}

export function decide(
	request: { priority: Priority; now: number },
	state: { recent: Grant[]; quota: QuotaState | null },
	policy: BudgetPolicy,
): Decision {
	const { priority, now } = request;
	const remaining = remainingQuota(state.quota, now);
	if (remaining !== null) {
		const floor = priority === "operator" ? policy.dailyReserve : 0;
		if (remaining <= floor) {
			return {
				kind: "quota",
				why: priority === "operator" && remaining > 0 ? "reserve" : "exhausted",
				resetAt: state.quota?.planResetAt ?? null,
				remaining,
			};
		}
	}
	const window = state.recent.filter((g) => g.at > now - WINDOW_MS - MARGIN_MS).sort((a, b) => a.at - b.at);
	const perSecond = Math.max(1, Math.floor(policy.perSecond));
	const free = perSecond - window.length - headroom(priority, perSecond);
	if (free >= 1) return { kind: "grant" };
	// The slot frees when enough of the oldest grants have left the window.
	const freeing = window[Math.min(window.length, 1 - free) - 1];
	return { kind: "wait", until: (freeing?.at ?? now) + WINDOW_MS + MARGIN_MS };
}

/**
 * Calls per second operator work gets while live traffic runs at `liveRate`: what
 * `decide` leaves it, for a replay's estimate of how long it will take.
 */
export function operatorRate(perSecond: number, liveRate: number): number {
	return Math.max(0, Math.floor(perSecond) - liveRate - headroom("operator", Math.floor(perSecond)));
}

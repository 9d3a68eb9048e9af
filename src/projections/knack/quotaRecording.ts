import type { BudgetPolicy } from "./budget.ts";
import type { Quota } from "./quotaHeaders.ts";

/**
 * Which quota headers are worth a write to the shared budget. Every Knack answer
 * carries them, and writing each one cost more than the rest of a postback together
 * (a third of the service's CPU under load, bench --profile). The budget counts the
 * calls granted since the last write (`grantedSince`), so an older write stays an
 * honest estimate; a write is only needed when the headers say something the budget
 * would decide differently on:
 *
 * - the first headers of an app in this process, and then at most one write per
 *   `QUOTA_WRITE_INTERVAL_MS` to keep the figures that `/metrics` and `GET /` show current;
 * - a new plan day or a new plan (the reset moved, or the limit changed);
 * - the quota near the line where decisions change: within `NEAR_LINE_CALLS` of the
 *   daily reserve, every answer is written, so the reserve and an exhausted quota are
 *   seen by every process at once, as before. The margin is five seconds of calls at
 *   Knack's 10/s, far more than one interval of them.
 */
export const QUOTA_WRITE_INTERVAL_MS = 1000;
const NEAR_LINE_CALLS = 50;

export function shouldRecordQuota(
	last: Quota | undefined,
	next: Quota,
	policy: Pick<BudgetPolicy, "dailyReserve">,
): boolean {
	if (!last) return true;
	if (next.seenAt - last.seenAt >= QUOTA_WRITE_INTERVAL_MS) return true;
	if (next.planLimit !== last.planLimit || newPlanDay(last.planResetAt, next.planResetAt)) return true;
	if ((next.planRemaining === null) !== (last.planRemaining === null)) return true;
	if (next.planRemaining === null) return false;
	return next.planRemaining <= policy.dailyReserve + NEAR_LINE_CALLS;
}

/** The reset is read as "milliseconds until", so it wobbles by the answer's latency; a new day moves it by hours. */
const RESET_WOBBLE_MS = 60_000;

function newPlanDay(last: number | null, next: number | null): boolean {
	if (last === null || next === null) return last !== next;
	return Math.abs(next - last) > RESET_WOBBLE_MS;
}

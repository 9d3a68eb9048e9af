import type { OperatorDeps } from "./deps.ts";
import { type DeliveryProgress, listDeliveries } from "./timeline.ts";

/**
 * Postbacks of the last hours by outcome, an hour at a time, and how often Knack
 * refused the calls made for them. The Knack figures count every call recorded for
 * those deliveries, retries included, whenever the retry ran.
 */
export interface ActivityHour {
	/** the hour's first instant */
	start: number;
	outcomes: Record<DeliveryProgress, number>;
}

export interface RecentActivity {
	from: number;
	to: number;
	hours: ActivityHour[];
	totals: Record<DeliveryProgress, number>;
	knack: { succeeded: number; failed: number };
}

const hourMs = 3_600_000;
const none = (): Record<DeliveryProgress, number> => ({ applied: 0, incomplete: 0, "dead-lettered": 0, rejected: 0 });

export async function recentActivity(
	deps: Pick<OperatorDeps, "storage">,
	now: number,
	hours = 24,
): Promise<RecentActivity> {
	// Whole hours, the current one last: Austin's offsets are whole hours, so these are its hours too.
	const first = Math.floor(now / hourMs) * hourMs - (hours - 1) * hourMs;
	const buckets: ActivityHour[] = Array.from({ length: hours }, (_, i) => ({
		start: first + i * hourMs,
		outcomes: none(),
	}));
	const totals = none();
	const knack = { succeeded: 0, failed: 0 };
	for (const row of await listDeliveries(deps, { since: first, until: now + 1 }, 0)) {
		const bucket = buckets[Math.floor((row.receivedAt - first) / hourMs)];
		if (!bucket) continue;
		bucket.outcomes[row.state]++;
		totals[row.state]++;
		knack.succeeded += row.summary?.succeeded ?? 0;
		knack.failed += row.summary?.failed ?? 0;
	}
	return { from: first, to: now, hours: buckets, totals, knack };
}

/** Failed Knack calls as a share of all, or null when none were made. */
export function knackErrorRate(activity: RecentActivity): number | null {
	const calls = activity.knack.succeeded + activity.knack.failed;
	return calls === 0 ? null : activity.knack.failed / calls;
}

import type { OperatorJob } from "../../storage/storage.ts";
import type { Actor, OperatorDeps } from "./deps.ts";
import { type StatusHistory, statusHistories } from "./history.ts";
import { plannedStatus, type ReplayCost, replayCost } from "./replay.ts";

/**
 * Retry all shown: the payments an operator sees on a page of the Stuck list, retried as
 * one operator action. The confirmation says what it will cost (`planRetryAll`); the
 * work runs server-side as a job (`jobs.ts`), so closing the tab loses nothing.
 */
export interface RetryPlanPayment {
	citybaseId: number;
	app: string;
	invoice: string;
	/** the Knack calls its retry makes (0: it only has deliveries to mark complete) */
	calls: number;
	/** a claim on it held right now by someone else: its retry waits for it */
	heldBy: string | null;
}

export interface RetryPlan {
	payments: RetryPlanPayment[];
	calls: number;
	/** per app: how long the calls take at the rate the shared Knack budget leaves, and today's quota */
	costs: ReplayCost[];
}

/** What retrying these payments would send, read from the log in one query, and what it costs. */
export async function planRetryAll(deps: OperatorDeps, citybaseIds: number[], now = Date.now()): Promise<RetryPlan> {
	const [byPayment, claims] = await Promise.all([
		deps.storage.queries.paymentsEvents(citybaseIds),
		deps.storage.queries.currentClaims(),
	]);
	const payments: RetryPlanPayment[] = [];
	const perApp = new Map<string, number>();
	for (const citybaseId of citybaseIds) {
		const histories = statusHistories(byPayment.get(citybaseId) ?? []);
		const latest = histories.at(-1)?.deliveries.at(-1)?.payment;
		if (!latest) continue;
		let calls = 0;
		let heldBy: string | null = null;
		for (const history of histories.filter(needsRetry)) {
			const planned = plannedStatus(deps, history, claims, false, now);
			calls += planned.calls.length;
			heldBy = planned.heldBy ?? heldBy;
		}
		perApp.set(latest.app, (perApp.get(latest.app) ?? 0) + calls);
		payments.push({ citybaseId, app: latest.app, invoice: latest.invoice, calls, heldBy });
	}
	const calls = payments.reduce((n, p) => n + p.calls, 0);
	return { payments, calls, costs: await replayCost(deps, perApp, now) };
}

/** A status a retry has something to do for: a write left, or a delivery not yet marked complete. */
const needsRetry = (history: StatusHistory) => history.deliveries.some((d) => !d.applied);

/**
 * The one audit event of a retry of many payments: who asked, what for, and every payment
 * it covers, recorded before any Knack call is made for it.
 */
export async function recordRetryAllAudit(deps: Pick<OperatorDeps, "storage">, job: OperatorJob): Promise<void> {
	const actor: Actor = { who: job.who, by: job.by };
	await deps.storage.events.recordOperatorAction(
		{
			citybaseId: null,
			status: null,
			invoice: null,
			deliverySeq: null,
			data: {
				...actor,
				action: "retry-all",
				what: job.what,
				result: `started for ${job.payments.length} ${job.payments.length === 1 ? "payment" : "payments"}`,
				job: job.id,
				payments: job.payments,
			},
		},
		job.createdAt,
	);
}

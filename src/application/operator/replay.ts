import { operatorRate, remainingQuota } from "../../projections/knack/budget.ts";
import { claimKey, leaseRunning } from "../../storage/claims.ts";
import { recordAction } from "./audit.ts";
import type { ConfirmKnackWrites, OperatorDeps } from "./deps.ts";
import { type PlannedCall, plannedCalls } from "./dryRun.ts";
import { type Assessment, assess, type StatusHistory } from "./history.ts";
import { createReplayer, outcomeText, type StatusOutcome } from "./replayer.ts";
import { describeSelection, type Selection, selectedStatuses } from "./selection.ts";

/**
 * Replays of a selection, dry or for real: each selected (payment, status) once, in log
 * order. What to print is the caller's: each result is handed to `onStatus`, progress
 * to `onProgress` (awaited, so a slow reader holds the replay back rather than letting
 * output pile up), and `signal` stops it after the Knack call in flight.
 */
export interface ReplayHooks {
	signal?: AbortSignal;
	/** how many accepted deliveries were gone past since the last call */
	onProgress?(scanned: number): void | Promise<void>;
}

export interface DryRunStatus {
	history: StatusHistory;
	assessment: Assessment;
	calls: PlannedCall[];
	/** a claim on this (payment, status) held right now by someone else: a replay would wait for it */
	heldBy: string | null;
}

export interface DryRunSummary {
	calls: number;
	/** Knack calls by app */
	perApp: Map<string, number>;
	statuses: number;
	nothing: number;
	interrupted: boolean;
}

/**
 * What a replay of one status would send, judged against the claims held now: a live
 * claim's holder is named (the replay waits for it), a lapsed one is inherited (an insert
 * its holder may have sent is looked for in Knack first).
 */
export function plannedStatus(
	deps: Pick<OperatorDeps, "fieldMap">,
	history: StatusHistory,
	claims: Map<string, { holder: string; expiresAt: number }>,
	force: boolean,
	now: number,
): { assessment: Assessment; calls: PlannedCall[]; heldBy: string | null } {
	const assessment = assess(history, deps.fieldMap);
	const claim = claims.get(claimKey(history.citybaseId, history.status));
	const live = claim !== undefined && leaseRunning(claim, now);
	const calls = plannedCalls(assessment, {
		force,
		fieldMap: deps.fieldMap,
		inheritedClaim: claim !== undefined && !live,
	});
	return { assessment, calls, heldBy: claim && live ? claim.holder : null };
}

export async function dryRunReplay(
	deps: OperatorDeps,
	selection: Selection,
	options: ReplayHooks & { force: boolean; onStatus(status: DryRunStatus): void | Promise<void> },
): Promise<DryRunSummary> {
	const claims = await deps.storage.queries.currentClaims();
	const summary: DryRunSummary = { calls: 0, perApp: new Map(), statuses: 0, nothing: 0, interrupted: false };
	for await (const { history, scanned } of selectedStatuses(deps.storage, selection)) {
		const { assessment, calls, heldBy } = plannedStatus(deps, history, claims, options.force, Date.now());
		summary.calls += calls.length;
		const app = assessment.delivery.payment.app;
		if (calls.length > 0) summary.perApp.set(app, (summary.perApp.get(app) ?? 0) + calls.length);
		if (calls.length > 0) summary.statuses++;
		else summary.nothing++;
		await options.onStatus({ history, assessment, calls, heldBy });
		await options.onProgress?.(scanned);
		if (options.signal?.aborted) {
			summary.interrupted = true;
			break;
		}
	}
	return summary;
}

export interface ReplayTally {
	done: number;
	written: number;
	failed: number;
	nothing: number;
}

export type ReplayRun =
	| { state: "cancelled" }
	| { state: "finished" | "interrupted"; tally: ReplayTally; resumedAfter: number }
	/** stopped at the daily quota's reserve: `remaining` payment statuses are left for after `resetAt` */
	| {
			state: "quota";
			tally: ReplayTally;
			resumedAfter: number;
			remaining: number;
			resetAt: number | null;
			text: string;
	  };

/**
 * The replay for real. A forced replay keeps a cursor in the store, so the same command
 * run again after an interruption resumes after the last (payment, status) it finished;
 * `restart` starts it over. Once a status fails the cursor stays before it, so the next
 * run tries it again.
 */
export async function runReplay(
	deps: OperatorDeps,
	selection: Selection,
	options: ReplayHooks & {
		force: boolean;
		restart: boolean;
		/** at the daily quota's reserve, sleep until it resets and go on, instead of stopping */
		wait?: boolean;
		onWait?(resetAt: number | null): void;
		confirm: ConfirmKnackWrites;
		/** a resumed forced replay, before it goes on */
		onResume?(after: number): void;
		onStatus(history: StatusHistory, outcome: StatusOutcome): void | Promise<void>;
	},
): Promise<ReplayRun> {
	deps.knack(); // missing credentials are said before anything is asked
	const what = `replay ${describeSelection(selection)}${options.force ? " --force" : ""}`;
	if (!(await options.confirm(what))) return { state: "cancelled" };

	const { signal } = options;
	const replayer = createReplayer(deps, signal);
	const cursors = deps.storage.cursors;
	const cursor = options.force ? `replay --force ${describeSelection(selection)}` : null;
	if (cursor && options.restart) await cursors.clear(cursor);
	const resumedAfter = cursor ? await cursors.read(cursor) : 0;
	if (resumedAfter > 0) options.onResume?.(resumedAfter);

	const tally: ReplayTally = { done: 0, written: 0, failed: 0, nothing: 0 };
	let interrupted = false;
	let clean = true;
	const statuses = selectedStatuses(deps.storage, selection)[Symbol.asyncIterator]();
	for (let next = await statuses.next(); !next.done; next = await statuses.next()) {
		const { history, position, scanned } = next.value;
		if (position <= resumedAfter) {
			await options.onProgress?.(scanned);
			continue;
		}
		if (signal?.aborted) {
			interrupted = true;
			break;
		}
		let outcome = await replayer.replayStatus(history, options.force);
		while (outcome.state === "quota" && options.wait && !signal?.aborted) {
			options.onWait?.(outcome.resetAt);
			await sleepUntil(outcome.resetAt, signal);
			outcome = await replayer.replayStatus(history, options.force);
		}
		await options.onProgress?.(scanned);
		if (outcome.state === "quota") {
			// Nothing of this status was sent: it and every one after it are left for the same command again.
			let remaining = 1;
			for (let rest = await statuses.next(); !rest.done; rest = await statuses.next()) remaining++;
			await audit(deps, history, outcome, what);
			await options.onStatus(history, outcome);
			const { resetAt, text } = outcome;
			return { state: "quota", tally, resumedAfter, remaining, resetAt, text };
		}
		if (outcome.state === "interrupted") {
			interrupted = true;
			await audit(deps, history, outcome, what);
			await options.onStatus(history, outcome);
			break;
		}
		if (outcome.state === "done") {
			tally.done++;
			tally.written += outcome.performed;
		} else if (outcome.state === "failed") {
			tally.failed++;
			clean = false;
		} else {
			tally.nothing++;
		}
		if (clean && cursor) await cursors.write(cursor, position);
		await audit(deps, history, outcome, what);
		await options.onStatus(history, outcome);
	}
	if (cursor && !interrupted && clean) await cursors.clear(cursor);
	return { state: interrupted ? "interrupted" : "finished", tally, resumedAfter };
}

/** Sleeps until `resetAt` (an hour when unknown), or until the operator interrupts. */
function sleepUntil(resetAt: number | null, signal: AbortSignal | undefined): Promise<void> {
	const ms = Math.max(1000, (resetAt ?? Date.now() + 3_600_000) - Date.now() + 1_000);
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener("abort", () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

export interface ReplayCost {
	app: string;
	calls: number;
	/** live calls a second over the last minute, every process's */
	liveRate: number;
	/** calls a second the replay gets beside them */
	rate: number;
	/** how long the calls take at that rate; null when live traffic leaves nothing */
	seconds: number | null;
	/** what is left of today's quota above the reserve, or null when Knack has not said (unknown) */
	available: number | null;
	resetAt: number | null;
}

/** What a replay's calls cost per app: how long at the rate live traffic leaves, and whether today's quota holds them. */
export async function replayCost(
	deps: OperatorDeps,
	perApp: Map<string, number>,
	now = Date.now(),
): Promise<ReplayCost[]> {
	const quotas = await deps.storage.budget.quotas();
	const costs: ReplayCost[] = [];
	for (const [app, calls] of perApp) {
		const recent = await deps.storage.budget.recentGrants(app, now);
		const liveRate = recent.filter((g) => g.priority === "live" && g.at > now - 60_000).length / 60;
		const rate = operatorRate(deps.budget.perSecond, Math.ceil(liveRate));
		const remaining = remainingQuota(quotas.get(app) ?? null, now);
		costs.push({
			app,
			calls,
			liveRate,
			rate,
			seconds: rate > 0 ? calls / rate : null,
			available: remaining === null ? null : Math.max(0, remaining - deps.budget.dailyReserve),
			resetAt: quotas.get(app)?.planResetAt ?? null,
		});
	}
	return costs;
}

/** A status the replay went to Knack for is recorded as the operator's; one with nothing to do is not. */
async function audit(deps: OperatorDeps, history: StatusHistory, outcome: StatusOutcome, what: string): Promise<void> {
	if (outcome.state === "nothing") return;
	const delivery = history.deliveries.find((d) => d.deliverySeq === outcome.deliverySeq);
	if (delivery) await recordAction(deps, delivery, { action: "replay", what, result: outcomeText(outcome) });
}

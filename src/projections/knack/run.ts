import type { Payment } from "../../events/payload.ts";
import { type AcceptedDelivery, EventTypes, type Outcome, type ProjectedBy } from "../../events/types.ts";
import type { Logger } from "../../logging/logger.ts";
import * as claims from "../../storage/claims.ts";
import type { ClaimRequest, ClaimResult, EventStore } from "../../storage/storage.ts";
import type { Priority } from "./budget.ts";
import type { CallOptions, KnackClient, KnackFailure } from "./client.ts";
import type { FieldMapName } from "./fieldMaps.ts";
import { type Plan, type PlanContext, type PlannedEffect, planPostback, recordSource, refundBody } from "./plan.ts";
import { effectProgress } from "./progress.ts";
import { effectSteps } from "./steps.ts";

/**
 * Performs a delivery's plan against Knack, exactly once per effect key (docs/design.md §5):
 * effects that already succeeded (for any delivery of the same payment and status)
 * are skipped; the rest run in plan order under a database claim, so two deliveries
 * of one payment — in one process or two — never both write. An insert whose earlier
 * attempt may have reached Knack is first looked for in Knack. Failures are retried
 * within the delivery's deadline; every attempt is recorded as an outcome event.
 */
export type ProjectionResult =
	| { ok: true; performed: number; skipped: number; knownStatus: boolean; warnings: string[] }
	| { ok: false; status: number; text: string; reason: "knack" | "busy" }
	/** the daily Knack quota stopped it (or, for a replay, its reserve): nothing more is tried before `resetAt` */
	| { ok: false; status: number; text: string; reason: "quota"; why: "exhausted" | "reserve"; resetAt: number | null };

export interface Projector {
	/**
	 * `force` re-applies every write of the plan, even those recorded as done (an
	 * operator's repair after Knack was edited by hand); inserts still look in Knack
	 * first, so a forced replay never duplicates a record. `deadline` is real time
	 * (Date.now), like claim leases, which other processes share; the injected clock only
	 * stamps outcome events, so tests can pin recorded dates. `by` is recorded on every
	 * outcome, so the log tells who made each attempt (recovery counts only its own).
	 */
	project(delivery: AcceptedDelivery, deadline: number, options: ProjectOptions): Promise<ProjectionResult>;
	/**
	 * The claim a delivery of `payment` takes, named as `project` names its own, for the
	 * store to take with the delivery's append (`EventStore.appendDelivery`): what the
	 * append answered is then handed to `project` as `claim`, which saves a durable wait.
	 */
	claimRequest(payment: Payment): ClaimRequest;
}

export interface ProjectOptions {
	by: ProjectedBy;
	force?: boolean;
	/** a claim asked for with the append (`claimRequest`) and what the store answered: held by another, it is waited for */
	claim?: { holder: string; result: ClaimResult };
}

export interface ProjectorOptions {
	store: EventStore;
	knack: KnackClient;
	fieldMap: FieldMapName;
	leaseMs: number;
	logger: Logger;
	clock?: () => number;
	/** names this process in claims, so an operator can tell who held one */
	holderPrefix?: string;
	retry?: { baseMs: number; maxMs: number };
	/** how often a delivery waiting for another's claim looks again */
	pollMs?: number;
}

type Attempt =
	| { ok: true; recordId: string | null; status: number; via: "call" | "lookup"; durationMs: number }
	| (KnackFailure & { method: string; certain: boolean });

type Failure = KnackFailure & { certain: boolean };

/** One delivery's projection: what its steps share. */
interface Run {
	delivery: AcceptedDelivery;
	plan: Plan;
	context: PlanContext;
	log: Logger;
	by: ProjectedBy;
	force: boolean;
	deadline: number;
	call: CallOptions;
	claimKey: string;
	holder: string;
}

export function createProjector(options: ProjectorOptions): Projector {
	const { store, knack, logger } = options;
	const clock = options.clock ?? Date.now;
	const holderPrefix = options.holderPrefix ?? `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
	const retry = options.retry ?? { baseMs: 250, maxMs: 4000 };
	const pollMs = options.pollMs ?? 50;
	let runs = 0;

	/** Plan, take the claim, perform what remains, answer: each step below, in that order. */
	async function project(
		delivery: AcceptedDelivery,
		deadline: number,
		{ by, force = false, claim: handed }: ProjectOptions,
	): Promise<ProjectionResult> {
		const run = begin(delivery, deadline, by, force, handed?.holder ?? nextHolder());
		const claim = handed?.result.state === "claimed" ? handed.result : await waitForClaim(run);
		if ("ok" in claim) return claim;
		const { remaining, unsure } = await remainingUnderClaim(run, claim.inherited);
		const { performed, failure } = await performRemaining(run, remaining, unsure);
		if (failure) return failed(failure);
		return applied(run, performed, run.plan.effects.length - remaining.length);
	}

	/** The plan of a delivery, and what every later step needs to know of it. */
	function begin(delivery: AcceptedDelivery, deadline: number, by: ProjectedBy, force: boolean, holder: string): Run {
		const { payment, deliverySeq } = delivery;
		const context: PlanContext = { fieldMap: options.fieldMap, recordedAt: delivery.receivedAt };
		const plan = planPostback(payment, context);
		const log = logger.child({ citybase_id: payment.citybaseId, delivery_seq: deliverySeq });
		for (const warning of plan.warnings) log.warn(warning, { invoice: payment.invoice });
		const call = { deadline, priority: priorities[by] };
		return {
			delivery,
			plan,
			context,
			log,
			by,
			force,
			deadline,
			call,
			claimKey: claims.claimKey(payment.citybaseId, payment.status),
			holder,
		};
	}

	/** The claim taken on its own: waited for while a live other holds it, not taken once the work is found done. */
	async function waitForClaim(run: Run): Promise<{ inherited: boolean } | ProjectionResult> {
		const { delivery, plan, claimKey, holder, deadline } = run;
		const { payment, deliverySeq } = delivery;
		for (;;) {
			const { remaining } = effectProgress(plan.effects, await store.outcomesOf(payment.citybaseId, payment.status));
			if (remaining.length === 0 && !run.force) {
				await store.recordOutcomes(deliverySeq, [], clock(), {
					applied: { performed: 0, skipped: plan.effects.length },
					dropStaleClaim: { key: claimKey, at: Date.now() },
				});
				return applied(run, 0, plan.effects.length);
			}
			const claim = await store.claim(claimKey, holder, deliverySeq, Date.now(), options.leaseMs);
			if (claim.state === "claimed") return claim;
			if (Date.now() + pollMs >= deadline) {
				run.log.warn("gave up waiting for another delivery of this payment to finish", { claim_holder: claim.holder });
				return {
					ok: false,
					status: 503,
					text: "Another delivery of this payment is still being applied; please retry",
					reason: "busy",
				};
			}
			await Bun.sleep(pollMs);
		}
	}

	/**
	 * The claim is ours: read the history again, another holder may have finished just before.
	 * A previous holder whose lease ran out (`inherited`) may have left inserts in Knack unrecorded.
	 */
	async function remainingUnderClaim(run: Run, inherited: boolean) {
		const { payment, deliverySeq } = run.delivery;
		const progress = effectProgress(run.plan.effects, await store.outcomesOf(payment.citybaseId, payment.status), {
			force: run.force,
			inherited,
		});
		// Keep that doubt in the log: if this run fails before resolving it, the next holder finds a free claim.
		const doubts = inherited
			? progress.remaining.filter((e) => e.lookup).map((e) => claims.takeoverDoubt(e, run.by))
			: [];
		if (doubts.length > 0) await store.recordOutcomes(deliverySeq, doubts, clock(), {});
		return progress;
	}

	/**
	 * The remaining effects in plan order, until one fails; then every attempt is recorded
	 * and the claim released, also on an exception (the delivery then stays incomplete).
	 */
	async function performRemaining(
		run: Run,
		remaining: PlannedEffect[],
		unsure: Set<string>,
	): Promise<{ performed: number; failure: Failure | null }> {
		const outcomes: Outcome[] = [];
		let performed = 0;
		let failure: Failure | null = null;
		let completed = false;
		try {
			for (const effect of remaining) {
				const attempt = await performWithRetries(run, effect, unsure, outcomes);
				if (!attempt.ok) {
					failure = attempt;
					break;
				}
				if (attempt.via === "call") performed++;
			}
			completed = failure === null;
		} finally {
			await store.recordOutcomes(run.delivery.deliverySeq, outcomes, clock(), {
				release: { key: run.claimKey, holder: run.holder },
				applied: completed ? { performed, skipped: run.plan.effects.length - remaining.length } : undefined,
			});
		}
		return { performed, failure };
	}

	/** One effect, retried while Knack may yet accept it and the deadline allows; each attempt goes into `outcomes`. */
	async function performWithRetries(
		run: Run,
		effect: PlannedEffect,
		unsure: Set<string>,
		outcomes: Outcome[],
	): Promise<Attempt> {
		const { log, by, deadline } = run;
		for (let attempt = 1; ; attempt++) {
			const result = await perform(run, effect, unsure);
			const base = {
				kind: effect.kind,
				by,
				objectKey: effect.objectKey,
				durationMs: result.durationMs,
			};
			if (result.ok) {
				outcomes.push({
					type: EventTypes.effectSucceeded,
					effectKey: effect.key,
					data: {
						...base,
						method: effect.method,
						recordId: result.recordId,
						knackStatus: result.status,
						via: result.via,
					},
				});
				log.info(`knack ${effect.kind} ${result.via === "lookup" ? "found already written" : "written"}`, {
					knack_object: effect.objectKey,
					knack_status: result.status,
					knack_record_id: result.recordId,
					method: effect.method,
				});
				return result;
			}
			// Refused by the budget before anything was sent: there is no attempt to record.
			if (result.reason === "quota" && result.status === null) return result;
			outcomes.push({
				type: EventTypes.effectFailed,
				effectKey: effect.key,
				data: {
					...base,
					method: result.method,
					recordId: effect.recordId,
					knackStatus: result.status,
					error: result.text.slice(0, 2000),
					certain: result.certain,
				},
			});
			if (!result.certain) unsure.add(effect.key);
			const wait = retryDelay(result, attempt);
			log.warn(`knack ${effect.kind} failed`, {
				knack_object: effect.objectKey,
				knack_status: result.status,
				reason: result.reason,
				method: result.method,
				attempt,
				retry_in_ms: wait === null || Date.now() + wait >= deadline ? null : Math.round(wait),
			});
			if (wait === null || Date.now() + wait >= deadline) return result;
			await Bun.sleep(wait);
		}
	}

	/** One attempt at an effect: its steps (`effectSteps`) in order, a lookup that finds the record ending it early. */
	async function perform(run: Run, effect: PlannedEffect, unsure: ReadonlySet<string>): Promise<Attempt> {
		const { call } = run;
		let body = effect.body;
		for (const step of effectSteps(effect, unsure)) {
			if (step.purpose === "lookup") {
				const found = await knack.find(effect.app, step.objectKey, step.filters, call);
				if (!found.ok) return { ...found, method: "GET", certain: true };
				const existing = found.value[0];
				if (existing) {
					return {
						ok: true,
						recordId: existing.id ?? null,
						status: found.status,
						via: "lookup",
						durationMs: found.durationMs,
					};
				}
			} else if (step.purpose === "source") {
				const source = await knack.get(effect.app, step.objectKey, step.recordId, call);
				if (!source.ok) return { ...source, method: "GET", certain: true };
				body = refundBody(run.delivery.payment, run.context, recordSource(source.value));
			} else {
				const answer =
					step.method === "POST"
						? await knack.create(effect.app, step.objectKey, body ?? {}, call)
						: await knack.update(effect.app, step.objectKey, step.recordId ?? "", body ?? {}, call);
				if (answer.ok) {
					return {
						ok: true,
						recordId: answer.value.id ?? effect.recordId,
						status: answer.status,
						via: "call",
						durationMs: answer.durationMs,
					};
				}
				// A 4xx (429 included) means Knack refused the write; a 5xx or no answer may hide a write that happened.
				const refused =
					answer.reason === "deadline" || answer.reason === "quota" || (answer.status !== null && answer.status < 500);
				return { ...answer, method: step.method, certain: refused };
			}
		}
		throw new Error(`effect ${effect.key} has no write step`);
	}

	function retryDelay(failure: KnackFailure, attempt: number): number | null {
		if (failure.reason === "deadline" || failure.reason === "quota") return null;
		if (failure.status === 429) return failure.retryAfterMs ?? 1000;
		if (failure.status !== null && failure.status < 500) return null;
		const exponential = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
		return exponential / 2 + Math.random() * (exponential / 2);
	}

	function nextHolder(): string {
		return `${holderPrefix}:${++runs}`;
	}

	return {
		project,
		claimRequest: (payment) => ({
			key: claims.claimKey(payment.citybaseId, payment.status),
			holder: nextHolder(),
			now: Date.now(),
			leaseMs: options.leaseMs,
		}),
	};
}

function applied(run: Run, performed: number, skipped: number): ProjectionResult {
	return { ok: true, performed, skipped, knownStatus: run.plan.knownStatus, warnings: run.plan.warnings };
}

/** A run that stopped at a failed effect; the daily quota's refusal says when it resets. */
function failed(failure: Failure): ProjectionResult {
	if (failure.reason === "quota") {
		return {
			ok: false,
			status: 503,
			text: `${failure.text}. The payment is recorded and will be applied to Knack after the reset.`,
			reason: "quota",
			why: failure.quota?.why ?? "exhausted",
			resetAt: failure.quota?.resetAt ?? null,
		};
	}
	return { ok: false, ...answerFor(failure), reason: "knack" };
}

/** Where each projector's calls stand in the Knack budget. */
const priorities: Record<ProjectedBy, Priority> = { postback: "live", recovery: "recovery", replay: "operator" };

/** What CityBase is answered when a Knack write could not be completed (docs/design.md §6). */
function answerFor(failure: KnackFailure): { status: number; text: string } {
	if (failure.status !== null) return { status: failure.status, text: failure.text };
	const status = failure.reason === "timeout" ? 504 : failure.reason === "network" ? 502 : 503;
	return { status, text: failure.text };
}

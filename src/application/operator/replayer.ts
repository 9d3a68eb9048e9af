import type { AcceptedDelivery } from "../../events/types.ts";
import type { KnackClient, KnackFailure } from "../../projections/knack/client.ts";
import { createProjector, type ProjectionResult } from "../../projections/knack/run.ts";
import type { OperatorDeps } from "./deps.ts";
import { assess, type DeliveryState, type StatusHistory } from "./history.ts";
import { truncate } from "./text.ts";

/**
 * Re-runs the projector (run.ts, unchanged) for what an operator selected. Ctrl-C
 * lets the Knack call in flight finish and refuses the next one: the projector records
 * that refusal like any failed call, so the log says where the replay stopped and the
 * same command picks up from there.
 */
export type StatusOutcome =
	| { state: "nothing" }
	| {
			state: "done";
			deliverySeq: number;
			/** writes sent to Knack */
			performed: number;
			/** inserts a forced replay found already in Knack, so did not send */
			found: number;
			/** effects already done, not sent again */
			skipped: number;
			warnings: string[];
	  }
	| { state: "failed" | "interrupted"; deliverySeq: number; status: number; text: string }
	/** the daily Knack quota, down to the reserve operator work leaves, stopped it before anything was sent */
	| { state: "quota"; deliverySeq: number; status: number; text: string; resetAt: number | null };

/** What a status's replay did, as one line: the CLI prints it, the console shows it, the audit trail keeps it. */
export function outcomeText(outcome: StatusOutcome): string {
	switch (outcome.state) {
		case "nothing":
			return "nothing unfinished";
		case "quota":
			return `NOT REPLAYED: ${truncate(outcome.text, 200)}`;
		case "done":
			return `${outcome.performed} written${outcome.found > 0 ? `, ${outcome.found} found already in Knack` : ""}, ${outcome.skipped} already done`;
		default:
			return `${outcome.state.toUpperCase()} ${outcome.status}: ${truncate(outcome.text, 200)}`;
	}
}

export interface Replayer {
	/** One (payment, status): its plan once, then every other open delivery of it recorded as applied. */
	replayStatus(history: StatusHistory, force: boolean): Promise<StatusOutcome>;
	/** One delivery, with its own date: what `verify --fix` re-applies. */
	replayDelivery(delivery: DeliveryState, force: boolean): Promise<ProjectionResult>;
}

const interruptedText = "replay interrupted by the operator before this Knack call";

export function createReplayer(deps: OperatorDeps, signal: AbortSignal | undefined): Replayer {
	const projector = createProjector({
		store: deps.storage.events,
		knack: signal ? interruptible(deps.knack(), signal) : deps.knack(),
		fieldMap: deps.fieldMap,
		leaseMs: deps.claimLeaseMs,
		logger: deps.logger,
		holderPrefix: deps.holderPrefix,
	});
	const project = (delivery: DeliveryState, force: boolean) =>
		projector.project(toAccepted(delivery), Date.now() + deps.deadlineMs, { by: "replay", force });

	return {
		replayDelivery: project,
		async replayStatus(history, force) {
			const a = assess(history, deps.fieldMap);
			const open = history.deliveries.filter((d) => !d.applied);
			if (!force && a.unfinished.length === 0 && open.length === 0) return { state: "nothing" };
			const result = await project(a.delivery, force);
			if (!result.ok && result.reason === "quota") {
				const { status, text, resetAt } = result;
				return { state: "quota", deliverySeq: a.delivery.deliverySeq, status, text, resetAt };
			}
			if (!result.ok) {
				return {
					state: signal?.aborted ? "interrupted" : "failed",
					deliverySeq: a.delivery.deliverySeq,
					status: result.status,
					text: result.text,
				};
			}
			// Duplicates of a status are replayed once: the others have nothing left to write.
			for (const other of open) if (other !== a.delivery) await project(other, false);
			return {
				state: "done",
				deliverySeq: a.delivery.deliverySeq,
				performed: result.performed,
				found: a.plan.effects.length - result.performed - result.skipped,
				skipped: result.skipped,
				warnings: result.warnings,
			};
		},
	};
}

function toAccepted(d: DeliveryState): AcceptedDelivery {
	return { deliverySeq: d.deliverySeq, receivedAt: d.receivedAt, payment: d.payment };
}

function interruptible(client: KnackClient, signal: AbortSignal): KnackClient {
	const refused: KnackFailure = {
		ok: false,
		status: null,
		text: interruptedText,
		// "deadline": the projector neither retries it nor doubts that nothing reached Knack.
		reason: "deadline",
		retryAfterMs: null,
		durationMs: 0,
	};
	return {
		create: (...a) => (signal.aborted ? Promise.resolve(refused) : client.create(...a)),
		update: (...a) => (signal.aborted ? Promise.resolve(refused) : client.update(...a)),
		get: (...a) => (signal.aborted ? Promise.resolve(refused) : client.get(...a)),
		find: (...a) => (signal.aborted ? Promise.resolve(refused) : client.find(...a)),
		list: (...a) => (signal.aborted ? Promise.resolve(refused) : client.list(...a)),
	};
}

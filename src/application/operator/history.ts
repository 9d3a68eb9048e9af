import type { Payment } from "../../events/payload.ts";
import {
	type DeadLetteredData,
	EventTypes,
	type finishingTypes,
	isOutcome,
	type StoredEvent,
} from "../../events/types.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import { type Plan, type PlannedEffect, planPostback } from "../../projections/knack/plan.ts";
import { effectProgress } from "../../projections/knack/progress.ts";

/**
 * One (payment, status) as the log tells it: its deliveries and every Knack outcome,
 * and from those what is done and what is not. Exactly-once is per (payment, status),
 * so this, not the single delivery, is what operators inspect and replay.
 */
export interface DeliveryState {
	deliverySeq: number;
	/** position of the delivery's `delivery.accepted` event */
	acceptedSeq: number;
	receivedAt: number;
	payment: Payment;
	applied: boolean;
	deadLettered: DeadLetteredData | null;
}

export interface StatusHistory {
	citybaseId: number;
	status: string;
	/** oldest first */
	deliveries: DeliveryState[];
	/** its outcomes (`outcomeTypes`: written, failed, in doubt), oldest first */
	outcomes: StoredEvent[];
}

export interface Assessment {
	/** the delivery a replay projects: the oldest not yet applied, else the oldest (its date is the one written) */
	delivery: DeliveryState;
	plan: Plan;
	/** effect key → the outcome that completed it */
	done: Map<string, StoredEvent<typeof EventTypes.effectSucceeded>>;
	unfinished: PlannedEffect[];
	/** inserts that may have reached Knack although no success was recorded: looked up before a retry */
	unsure: Set<string>;
	lastFailure: StoredEvent<typeof EventTypes.effectFailed> | null;
	/** every outcome recorded for this (payment, status), oldest first */
	outcomes: StoredEvent[];
}

/** Groups a payment's (or invoice's) events by status, in the order the statuses were first delivered. */
export function statusHistories(events: Iterable<StoredEvent>): StatusHistory[] {
	const byKey = new Map<string, StatusHistory>();
	const deliveries = new Map<number, DeliveryState>();
	const finishing: StoredEvent<(typeof finishingTypes)[number]>[] = [];
	for (const event of events) {
		if (event.citybaseId === null || event.paymentStatus === null) continue;
		const key = `${event.citybaseId}:${event.paymentStatus}`;
		let history = byKey.get(key);
		if (!history) {
			history = { citybaseId: event.citybaseId, status: event.paymentStatus, deliveries: [], outcomes: [] };
			byKey.set(key, history);
		}
		if (event.type === EventTypes.accepted && event.deliverySeq !== null) {
			const delivery: DeliveryState = {
				deliverySeq: event.deliverySeq,
				acceptedSeq: event.seq,
				receivedAt: event.recordedAt,
				payment: event.data.payment,
				applied: false,
				deadLettered: null,
			};
			history.deliveries.push(delivery);
			deliveries.set(event.deliverySeq, delivery);
		} else if (isOutcome(event)) {
			history.outcomes.push(event);
		} else if (event.type === EventTypes.applied || event.type === EventTypes.deadLettered) {
			finishing.push(event);
		}
	}
	for (const event of finishing) {
		const delivery = event.deliverySeq === null ? undefined : deliveries.get(event.deliverySeq);
		if (!delivery) continue;
		if (event.type === EventTypes.applied) delivery.applied = true;
		else delivery.deadLettered = event.data;
	}
	const histories = [...byKey.values()].filter((h) => h.deliveries.length > 0);
	for (const h of histories) {
		h.deliveries.sort((a, b) => a.acceptedSeq - b.acceptedSeq);
		h.outcomes.sort((a, b) => a.seq - b.seq);
	}
	return histories.sort((a, b) => (a.deliveries[0]?.acceptedSeq ?? 0) - (b.deliveries[0]?.acceptedSeq ?? 0));
}

/** The projector's own bookkeeping (`effectProgress`), so what is shown is what a replay would do. */
export function assess(history: StatusHistory, fieldMap: FieldMapName): Assessment {
	const delivery = history.deliveries.find((d) => !d.applied) ?? (history.deliveries[0] as DeliveryState);
	const plan = planPostback(delivery.payment, { fieldMap, recordedAt: delivery.receivedAt });
	const done: Assessment["done"] = new Map();
	let lastFailure: Assessment["lastFailure"] = null;
	for (const outcome of history.outcomes) {
		if (outcome.effectKey === null) continue;
		if (outcome.type === EventTypes.effectSucceeded) done.set(outcome.effectKey, outcome);
		else if (outcome.type === EventTypes.effectFailed) lastFailure = outcome;
	}
	const { remaining: unfinished, unsure } = effectProgress(plan.effects, history.outcomes);
	return { delivery, plan, done, unfinished, unsure, lastFailure, outcomes: history.outcomes };
}

import type { Payment } from "../../events/payload.ts";
import { EventTypes } from "../../events/types.ts";
import type { OperatorDeps } from "./deps.ts";
import { type Assessment, assess, type DeliveryState, type StatusHistory, statusHistories } from "./history.ts";

/**
 * What Knack is still owed, as an operator sees it (the CLI's `pending`, the console's
 * Stuck page): incomplete and dead-lettered deliveries, oldest first, and why.
 */
export interface StuckDelivery {
	delivery: DeliveryState;
	payment: Payment;
	assessment: Assessment;
	/** failed Knack attempts recorded for this delivery */
	attempts: number;
}

export async function stuckDeliveries(
	deps: Pick<OperatorDeps, "storage" | "fieldMap">,
	limit: number,
): Promise<StuckDelivery[]> {
	const { events, queries } = deps.storage;
	const seqs = [
		...(await events.incomplete(limit)).map((d) => d.deliverySeq),
		...(await queries.openDeadLetters(limit)),
	].sort((a, b) => a - b);

	const histories = new Map<number, StatusHistory[]>();
	const rows: StuckDelivery[] = [];
	for (const deliverySeq of new Set(seqs)) {
		const accepted = await events.accepted(deliverySeq);
		if (!accepted) continue;
		const { citybaseId, status } = accepted.payment;
		let ofPayment = histories.get(citybaseId);
		if (!ofPayment) {
			ofPayment = statusHistories(await events.byPayment(citybaseId));
			histories.set(citybaseId, ofPayment);
		}
		const history = ofPayment.find((h) => h.status === status);
		const delivery = history?.deliveries.find((d) => d.deliverySeq === deliverySeq);
		if (!history || !delivery) continue;
		const attempts = history.outcomes.filter(
			(o) => o.deliverySeq === deliverySeq && o.type === EventTypes.effectFailed,
		).length;
		rows.push({ delivery, payment: accepted.payment, assessment: assess(history, deps.fieldMap), attempts });
	}
	return rows;
}

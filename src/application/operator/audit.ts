import type { OperatorActionData } from "../../events/types.ts";
import type { OperatorDeps } from "./deps.ts";
import type { DeliveryState } from "./history.ts";

/**
 * The audit trail: every Knack write a person asked for is recorded in the log, tied
 * to the payment, status and delivery it was about, so the payment's timeline (`payments
 * show`, the console) tells human repairs apart from the service's own work.
 */
/** A person's name as the audit trail keeps it: one line of printable text, 80 characters at most. */
export function operatorName(raw: string): string {
	return raw
		.replace(/[\p{C}]+/gu, " ")
		.replace(/\s+/g, " ")
		.trim()
		.slice(0, 80);
}

export async function recordAction(
	deps: Pick<OperatorDeps, "storage" | "actor">,
	delivery: DeliveryState,
	action: Pick<OperatorActionData, "action" | "what" | "result">,
): Promise<void> {
	const { payment } = delivery;
	await deps.storage.events.recordOperatorAction(
		{
			citybaseId: payment.citybaseId,
			status: payment.status,
			invoice: payment.invoice,
			deliverySeq: delivery.deliverySeq,
			data: { ...action, who: deps.actor.who, by: deps.actor.by },
		},
		Date.now(),
	);
}

import { encryptBodySync } from "../events/bodyCipher.ts";
import type { Keyring } from "../events/bodyKeys.ts";
import type { Verdict } from "../events/payload.ts";
import { type AcceptedData, EventTypes, type ReceivedData } from "../events/types.ts";
import type { NewDelivery } from "./storage.ts";

/**
 * The two events a delivery becomes, as every adapter appends them: `delivery.received`
 * with the exact bytes (sealed with the keyring, bound to the position it is stored at)
 * and the verdict, `delivery.accepted` with the parsed payment or `delivery.rejected`
 * with the reason. The adapters differ only in how they learn the position.
 */
export function receivedEvent(delivery: NewDelivery, keyring: Keyring | null, seq: number) {
	const body = keyring ? encryptBodySync(keyring, delivery.body, seq) : delivery.body;
	const data: ReceivedData = {
		contentType: delivery.contentType,
		remoteAddress: delivery.remoteAddress,
		requestId: delivery.requestId,
	};
	return {
		type: EventTypes.received,
		recordedAt: delivery.receivedAt,
		body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
		data,
	};
}

export function verdictEvent(delivery: NewDelivery, deliverySeq: number, verdict: Verdict) {
	if (!verdict.accepted) {
		return {
			type: EventTypes.rejected,
			recordedAt: delivery.receivedAt,
			deliverySeq,
			data: { reason: verdict.reason },
		};
	}
	const { payment } = verdict;
	return {
		type: EventTypes.accepted,
		recordedAt: delivery.receivedAt,
		deliverySeq,
		citybaseId: payment.citybaseId,
		paymentStatus: payment.status,
		invoice: payment.invoice,
		data: { payment } satisfies AcceptedData,
	};
}

import { expect, test } from "bun:test";
import { assess, statusHistories } from "../../src/application/operator/history.ts";
import { paymentView } from "../../src/console/views/payment.ts";
import { decodeEvent, type EventRow } from "../../src/events/decode.ts";
import type { Payment } from "../../src/events/payload.ts";
import { EventTypes, type StoredEvent } from "../../src/events/types.ts";

/** The payment page's Knack calls: a takeover's doubt shows as in doubt, never as a failed call. */

const payment: Payment = {
	citybaseId: 81_000_001,
	status: "voided",
	app: "SMART_MOBILITY",
	invoice: "INV-81",
	knackRecordId: "5f0000000000000000000001",
	parentRecordId: null,
	bannerType: null,
	totalAmountText: "60.0",
};
const about = {
	recordedAt: 1_755_000_000_000,
	deliverySeq: 1,
	citybaseId: payment.citybaseId,
	paymentStatus: payment.status,
	invoice: payment.invoice,
	body: null,
};
const message = `${payment.citybaseId}:${payment.status}:message`;
const event = (seq: number, e: Pick<EventRow, "type" | "data"> & Partial<EventRow>): StoredEvent =>
	decodeEvent({ seq, effectKey: null, ...about, ...e });

const timeline = [
	event(2, { type: EventTypes.accepted, data: { payment } }),
	event(3, {
		type: EventTypes.effectDoubted,
		effectKey: message,
		data: { kind: "message", by: "recovery", method: "POST", objectKey: "object_181" },
	}),
];

test("a doubt is a row of its own: in doubt and why, with no failure and no error", () => {
	const page = paymentView({
		citybaseId: payment.citybaseId,
		timeline,
		statuses: statusHistories(timeline).map((history) => ({ history, assessment: assess(history, "UAT") })),
	}).text;
	const row = page.slice(page.indexOf("<tbody>", page.indexOf('id="writes"')));
	expect(row).toContain(
		'<span class="note">in doubt (claim taken over from a holder whose lease ran out: may be in Knack already, looked up before it is sent)</span>',
	);
	expect(row).toContain('<td class="error-text"></td>');
	expect(page).not.toContain("failed");
	expect(page).not.toContain("Last error");
});

import { describe, expect, test } from "bun:test";
import { decodeEvent, type EventRow } from "../src/events/decode.ts";
import type { Payment } from "../src/events/payload.ts";
import { EventTypes, type StoredEvent } from "../src/events/types.ts";
import type { PaymentRow } from "../src/projections/paymentRow.ts";
import { foldPayment } from "../src/projections/payments.ts";

/**
 * The read model's pure fold, as given / when / then (Emmett's projection specs): given
 * the events of the log, when they are folded, then the payments are in this state. No
 * database: a fold that is right here is right in `catchUp` and `rebuild`.
 *
 * Folding the same events again must leave the state as it is. The checkpoint keeps
 * `catchUp` from folding an event twice, but a fold that only works behind it breaks as
 * soon as events reach it twice (a checkpoint lost or rolled back, a page redelivered).
 */

type State = Map<number, PaymentRow>;

/** As `catchUp` folds a page: by payment, keeping the row when the fold returns none. */
function fold(events: StoredEvent[], state: State = new Map()): State {
	const next = new Map(state);
	for (const event of events) {
		if (event.citybaseId === null) continue;
		const row = foldPayment(next.get(event.citybaseId), event);
		if (row) next.set(event.citybaseId, row);
	}
	return next;
}

const given = (...events: StoredEvent[]) => ({
	when: (folded: (events: StoredEvent[]) => State) => ({
		// biome-ignore lint/suspicious/noThenProperty: Emmett's given/when/then words; the spec is never awaited.
		then: (expected: Record<number, PaymentRow>) => {
			const state = folded(events);
			expect([...state.keys()].sort()).toEqual(
				Object.keys(expected)
					.map(Number)
					.sort((a, b) => a - b),
			);
			for (const [id, row] of Object.entries(expected)) expect(state.get(Number(id))).toEqual(row);
		},
	}),
});

/** Folded once, event by event. */
const once = (events: StoredEvent[]) => fold(events);
/** The whole list folded `n` times over, as a log replayed onto a model that already has it. */
const replayed = (n: number) => (events: StoredEvent[]) => {
	let state: State = new Map();
	for (let i = 0; i < n; i++) state = fold(events, state);
	return state;
};
/** Each event folded `n` times in a row, as a delivery of every event more than once. */
const eachRepeated = (n: number) => (events: StoredEvent[]) => fold(events.flatMap((e) => Array(n).fill(e)));
/** Everything, then every suffix again: a checkpoint that fell back to each earlier position. */
const suffixesAgain = (events: StoredEvent[]) =>
	events.reduce((state, _, from) => fold(events.slice(from), state), fold(events));

// A small log, in positions as the store writes them: a delivery is `delivery.received`
// at seq N and its verdict at N + 1; Knack outcomes follow under the delivery's seq.
let seq = 0;
const event = (e: Partial<EventRow> & Pick<EventRow, "type">): StoredEvent =>
	decodeEvent({
		seq: ++seq,
		recordedAt: 1_755_000_000_000 + seq * 1000,
		deliverySeq: null,
		citybaseId: null,
		paymentStatus: null,
		invoice: null,
		effectKey: null,
		body: null,
		data: null,
		...e,
	});

const payment = (citybaseId: number, status: string, extra: Partial<Payment> = {}): Payment => ({
	citybaseId,
	status,
	app: "STREET_BANNER",
	invoice: `INV-${citybaseId}`,
	knackRecordId: "5f0000000000000000000001",
	parentRecordId: null,
	bannerType: null,
	totalAmountText: "6000.0",
	...extra,
});

/** `delivery.received` then `delivery.accepted`; returns both. */
function delivery(p: Payment): [StoredEvent, StoredEvent] {
	const received = event({ type: EventTypes.received, data: { contentType: "application/json" } });
	const accepted = event({
		type: EventTypes.accepted,
		deliverySeq: received.seq,
		citybaseId: p.citybaseId,
		paymentStatus: p.status,
		invoice: p.invoice,
		data: { payment: p },
	});
	return [received, accepted];
}

function effect(of: StoredEvent, kind: string, recordId: string | null, type: StoredEvent["type"]): StoredEvent {
	if (of.type !== EventTypes.accepted) throw new Error("an effect follows its delivery's acceptance");
	const p = of.data.payment;
	return event({
		type,
		deliverySeq: of.deliverySeq,
		citybaseId: p.citybaseId,
		paymentStatus: p.status,
		invoice: p.invoice,
		effectKey: `${p.citybaseId}:${p.status}:${kind}`,
		data: { kind, recordId },
	});
}
const succeeded = (of: StoredEvent, kind: string, recordId: string | null) =>
	effect(of, kind, recordId, EventTypes.effectSucceeded);
const failed = (of: StoredEvent, kind: string) => effect(of, kind, null, EventTypes.effectFailed);
const applied = (of: StoredEvent) =>
	event({ type: EventTypes.applied, deliverySeq: of.deliverySeq, citybaseId: of.citybaseId, data: {} });

// Payment 1: paid (the transaction update fails, then a redelivery finishes it), then
// refunded. Payment 2: voided, its events interleaved with payment 1's.
const [r1, paid] = delivery(payment(1, "successful", { parentRecordId: "5f00000000000000000000aa" }));
const paidMessage = succeeded(paid, "message", "6b0000000000000000000001");
const paidTransactionFailed = failed(paid, "transaction");
const [r2, voided] = delivery(payment(2, "voided", { app: "SMART_MOBILITY", invoice: "INV-2" }));
const [r3, paidAgain] = delivery(payment(1, "successful", { parentRecordId: "5f00000000000000000000aa" }));
const voidedMessage = succeeded(voided, "message", "6b0000000000000000000002");
const paidTransaction = succeeded(paidAgain, "transaction", "5f0000000000000000000001");
const paidApplied = applied(paidAgain);
const [r4, refunded] = delivery(payment(1, "refunded"));
const refundMessage = succeeded(refunded, "message", "6b0000000000000000000003");
const refundRecord = succeeded(refunded, "refund", "6b0000000000000000000004");
// Payment 2 again: a redelivery whose claim was taken over (a doubt) and whose every Knack
// write fails, so its acceptance is the last thing that changed the row.
const [r5, voidedAgain] = delivery(payment(2, "voided", { app: "SMART_MOBILITY", invoice: "INV-2" }));
const voidedAgainDoubted = effect(voidedAgain, "message", null, EventTypes.effectDoubted);
const voidedAgainFailed = failed(voidedAgain, "message");
const rejected = event({ type: EventTypes.rejected, data: { reason: "Malformed JSON" } });

const log = [
	r1,
	paid,
	paidMessage,
	paidTransactionFailed,
	r2,
	voided,
	r3,
	paidAgain,
	voidedMessage,
	paidTransaction,
	paidApplied,
	r4,
	refunded,
	refundMessage,
	refundRecord,
	r5,
	voidedAgain,
	voidedAgainDoubted,
	voidedAgainFailed,
	rejected,
];

const payment1: PaymentRow = {
	citybaseId: 1,
	app: "STREET_BANNER",
	invoice: "INV-1",
	latestStatus: "refunded",
	totalAmount: "6000.0",
	knackRecordId: "5f0000000000000000000001",
	// The refund's delivery names no parent: the one the payment had is kept.
	parentRecordId: "5f00000000000000000000aa",
	knackRecords: {
		"1:successful:message": "6b0000000000000000000001",
		"1:successful:transaction": "5f0000000000000000000001",
		"1:refunded:message": "6b0000000000000000000003",
		"1:refunded:refund": "6b0000000000000000000004",
	},
	deliveries: 3,
	lastDeliverySeq: r4.seq,
	updatedAt: refundRecord.recordedAt,
};
const payment2: PaymentRow = {
	citybaseId: 2,
	app: "SMART_MOBILITY",
	invoice: "INV-2",
	latestStatus: "voided",
	totalAmount: "6000.0",
	knackRecordId: "5f0000000000000000000001",
	parentRecordId: null,
	knackRecords: { "2:voided:message": "6b0000000000000000000002" },
	deliveries: 2,
	lastDeliverySeq: r5.seq,
	updatedAt: voidedAgain.recordedAt,
};
const afterLog = { 1: payment1, 2: payment2 };

describe("foldPayment: given the log, when folded, then one row per payment", () => {
	test("no events: no payments", () => {
		given().when(once).then({});
	});

	test("an accepted delivery starts the row", () => {
		given(r1, paid)
			.when(once)
			.then({
				1: {
					...payment1,
					latestStatus: "successful",
					knackRecords: {},
					deliveries: 1,
					lastDeliverySeq: r1.seq,
					updatedAt: paid.recordedAt,
				},
			});
	});

	test("a failed Knack write records nothing; its redelivery counts and adds what it wrote", () => {
		given(r1, paid, paidMessage, paidTransactionFailed, r3, paidAgain, paidTransaction)
			.when(once)
			.then({
				1: {
					...payment1,
					latestStatus: "successful",
					knackRecords: {
						"1:successful:message": "6b0000000000000000000001",
						"1:successful:transaction": "5f0000000000000000000001",
					},
					deliveries: 2,
					lastDeliverySeq: r3.seq,
					updatedAt: paidTransaction.recordedAt,
				},
			});
	});

	test("the whole log: latest status, every delivery counted, every Knack record kept", () => {
		given(...log)
			.when(once)
			.then(afterLog);
	});

	test("events of no payment, or that change nothing, leave the state as it is", () => {
		given(...log, rejected, applied(refunded), failed(refunded, "message"))
			.when(once)
			.then(afterLog);
	});

	test("an operator's repair recorded in the log leaves the payment as it is", () => {
		const repair = event({
			type: EventTypes.operatorAction,
			deliverySeq: refunded.deliverySeq,
			citybaseId: 1,
			paymentStatus: "refunded",
			invoice: "INV-1",
			data: { who: "Ana Ruiz", action: "replay", what: "replay --payment 1", result: "1 written", by: "console" },
		});
		given(...log, repair)
			.when(once)
			.then(afterLog);
	});
});

describe("foldPayment: the same events folded N times give the same state", () => {
	for (const n of [2, 3, 5]) {
		test(`the whole log replayed ${n} times`, () => {
			given(...log)
				.when(replayed(n))
				.then(afterLog);
		});
		test(`each event folded ${n} times in a row`, () => {
			given(...log)
				.when(eachRepeated(n))
				.then(afterLog);
		});
	}

	test("every suffix of the log folded again, as after a checkpoint fell back", () => {
		given(...log)
			.when(suffixesAgain)
			.then(afterLog);
	});
});

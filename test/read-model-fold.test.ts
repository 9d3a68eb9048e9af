import { describe, expect, test } from "bun:test";
import { decodeEvent, type EventRow } from "../src/events/decode.ts";
import type { Payment } from "../src/events/payload.ts";
import { EventTypes, type StoredEvent } from "../src/events/types.ts";
import type { OpenDelivery, PaymentRow } from "../src/projections/paymentRow.ts";
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

function effect(of: StoredEvent, kind: string, type: StoredEvent["type"], data: Record<string, unknown>): StoredEvent {
	if (of.type !== EventTypes.accepted) throw new Error("an effect follows its delivery's acceptance");
	const p = of.data.payment;
	return event({
		type,
		deliverySeq: of.deliverySeq,
		citybaseId: p.citybaseId,
		paymentStatus: p.status,
		invoice: p.invoice,
		effectKey: `${p.citybaseId}:${p.status}:${kind}`,
		data: { kind, ...data },
	});
}
const succeeded = (of: StoredEvent, kind: string, recordId: string | null) =>
	effect(of, kind, EventTypes.effectSucceeded, { recordId });
const failed = (of: StoredEvent, kind: string, knackStatus: number | null = 503) =>
	effect(of, kind, EventTypes.effectFailed, {
		recordId: null,
		method: "PUT",
		objectKey: "object_180",
		knackStatus,
		error: "Service Unavailable",
	});
const applied = (of: StoredEvent) =>
	event({ type: EventTypes.applied, deliverySeq: of.deliverySeq, citybaseId: of.citybaseId, data: {} });
const deadLettered = (of: StoredEvent) =>
	event({ type: EventTypes.deadLettered, deliverySeq: of.deliverySeq, citybaseId: of.citybaseId, data: {} });
/** What a row keeps of a failed write (`failed`). */
const errorOf = (f: StoredEvent, knackStatus: number | null = 503) => ({
	at: f.recordedAt,
	status: f.paymentStatus as string,
	kind: f.type === EventTypes.effectFailed ? f.data.kind : "message",
	method: "PUT",
	objectKey: "object_180",
	recordId: null,
	knackStatus,
	error: "Service Unavailable",
});
const openOf = (accepted: StoredEvent, deadLettered = false) => ({
	seq: accepted.deliverySeq as number,
	receivedAt: accepted.recordedAt,
	status: accepted.paymentStatus as string,
	deadLettered,
});

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
const voidedAgainDoubted = effect(voidedAgain, "message", EventTypes.effectDoubted, {});
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
	receivedAt: refunded.recordedAt,
	// Its first delivery was never applied (the redelivery finished its writes; recovery would
	// mark it), nor was the refund: both keep the payment stuck since the first.
	open: [openOf(paid), openOf(refunded)],
	stuckSince: paid.recordedAt,
	stuckStatus: "successful",
	trouble: "knack-5xx",
	lastError: errorOf(paidTransactionFailed),
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
	receivedAt: voidedAgain.recordedAt,
	open: [openOf(voided), openOf(voidedAgain)],
	stuckSince: voided.recordedAt,
	stuckStatus: "voided",
	trouble: "knack-5xx",
	lastError: errorOf(voidedAgainFailed),
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
					receivedAt: paid.recordedAt,
					open: [openOf(paid)],
					lastError: null,
					trouble: "none",
				},
			});
	});

	test("a failed Knack write records no record, only the error; its redelivery counts and adds what it wrote", () => {
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
					receivedAt: paidAgain.recordedAt,
					open: [openOf(paid), openOf(paidAgain)],
				},
			});
	});

	test("the whole log: latest status, every delivery counted, every Knack record kept", () => {
		given(...log)
			.when(once)
			.then(afterLog);
	});

	test("events of no payment, or that change nothing, leave the state as it is", () => {
		given(...log, rejected, applied(paidAgain), deadLettered(paidAgain))
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

describe("foldPayment: what keeps a payment stuck, for the Stuck page", () => {
	const [r, accepted] = delivery(payment(7, "successful"));
	const [rAgain, again] = delivery(payment(7, "successful"));
	const stuck = (extra: Partial<PaymentRow>) => ({
		7: {
			citybaseId: 7,
			app: "STREET_BANNER",
			invoice: "INV-7",
			latestStatus: "successful",
			totalAmount: "6000.0",
			knackRecordId: "5f0000000000000000000001",
			parentRecordId: null,
			knackRecords: {},
			deliveries: 1,
			lastDeliverySeq: r.seq,
			updatedAt: accepted.recordedAt,
			receivedAt: accepted.recordedAt,
			open: [openOf(accepted)],
			stuckSince: accepted.recordedAt,
			stuckStatus: "successful",
			trouble: "none",
			lastError: null,
			...extra,
		} satisfies PaymentRow,
	});

	test("accepted and not yet applied: stuck since it was received, no error yet; applied: not stuck", () => {
		given(r, accepted).when(once).then(stuck({}));
		given(r, accepted, applied(accepted))
			.when(once)
			.then(stuck({ open: [], stuckSince: null, stuckStatus: null, trouble: null }));
	});

	for (const [knackStatus, trouble] of [
		[429, "quota"],
		[400, "knack-4xx"],
		[404, "knack-4xx"],
		[500, "knack-5xx"],
		[null, "knack-5xx"],
	] as const) {
		test(`a failure answered ${knackStatus ?? "nothing"} is the last error, its trouble ${trouble}`, () => {
			const failure = failed(accepted, "transaction", knackStatus);
			given(r, accepted, failure)
				.when(once)
				.then(stuck({ trouble, lastError: errorOf(failure, knackStatus) }));
		});
	}

	test("dead-lettered, the trouble says so until a replay applies the delivery; then the error is forgotten", () => {
		const failure = failed(accepted, "message", 500);
		given(r, accepted, failure, deadLettered(accepted))
			.when(once)
			.then(stuck({ open: [openOf(accepted, true)], trouble: "dead-lettered", lastError: errorOf(failure, 500) }));
		given(r, accepted, failure, deadLettered(accepted), applied(accepted))
			.when(once)
			.then(stuck({ open: [], stuckSince: null, stuckStatus: null, trouble: null, lastError: null }));
	});

	test("sent twice, one row, stuck since the first delivery, until both are finished", () => {
		const twice = (open: OpenDelivery[], stuckSince: number | null) => ({
			7: {
				...stuck({})[7],
				deliveries: 2,
				lastDeliverySeq: rAgain.seq,
				updatedAt: again.recordedAt,
				receivedAt: again.recordedAt,
				open,
				...(stuckSince === null ? { stuckSince, stuckStatus: null, trouble: null } : { stuckSince }),
			},
		});
		given(r, accepted, rAgain, again)
			.when(once)
			.then(twice([openOf(accepted), openOf(again)], accepted.recordedAt));
		given(r, accepted, rAgain, again, applied(accepted))
			.when(once)
			.then(twice([openOf(again)], again.recordedAt));
		given(r, accepted, rAgain, again, applied(accepted), applied(again)).when(once).then(twice([], null));
	});

	test("a failure while nothing is open (a forced replay of a finished payment) is not kept", () => {
		given(r, accepted, applied(accepted), failed(accepted, "message"))
			.when(once)
			.then(stuck({ open: [], stuckSince: null, stuckStatus: null, trouble: null }));
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

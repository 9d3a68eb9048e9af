import { encryptBodySync } from "../events/bodyCipher.ts";
import type { Keyring } from "../events/bodyKeys.ts";
import { acceptedDelivery, type EventRow as DecodedRow, decodeEvent } from "../events/decode.ts";
import type { Verdict } from "../events/payload.ts";
import { type AcceptedData, EventTypes, outcomeTypes, type ReceivedData, type StoredEvent } from "../events/types.ts";
import { dropStaleClaim, releaseClaim, takeClaim } from "./claims.ts";
import type { GroupCommitter, NewEvent } from "./groupCommit.ts";
import type { Dialect, Executor } from "./sql.ts";
import type { EventStore, NewDelivery } from "./storage.ts";
import type { UnfinishedDeliveries } from "./unfinished.ts";

/** Every column of the log, named as `StoredEvent` names them; `body` may be left out (read as null). */
export const eventColumns = (d: Dialect, body = "body") =>
	`seq, type, recorded_at as "recordedAt", delivery_seq as "deliverySeq", citybase_id as "citybaseId",
	 payment_status as "paymentStatus", invoice, effect_key as "effectKey", ${body} as body, ${d.json("data")} as data`;

export type EventRow = Omit<StoredEvent, "type" | "data"> & { type: string; data: string | null };

/**
 * A row read with `eventColumns` becomes the event it is (`decodeEvent`), in place: a page
 * of them is most of what a rebuild allocates. A body is a view over the driver's bytes,
 * not a copy.
 */
export function toEvent(d: Dialect, row: EventRow): StoredEvent {
	const event: DecodedRow = row;
	if (row.data !== null) event.data = JSON.parse(row.data);
	const { body } = row;
	if (body !== null) event.body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
	return decodeEvent(decodeTexts(d, event));
}

/** The text a postback carried, decoded in place where the dialect stored it encoded. */
export function decodeTexts<Row extends Pick<StoredEvent, "paymentStatus" | "invoice" | "effectKey">>(
	d: Dialect,
	row: Row,
): Row {
	if (!d.text.decodes) return row;
	if (row.paymentStatus !== null) row.paymentStatus = d.text.decode(row.paymentStatus);
	if (row.invoice !== null) row.invoice = d.text.decode(row.invoice);
	if (row.effectKey !== null) row.effectKey = d.text.decode(row.effectKey);
	return row;
}

/**
 * The event log and the projection claims, written once for every dialect. Writes go
 * through the group committer, each resolving once durable; with a keyring a delivery's
 * body is sealed at the position the committer gives it, before its insert (the log
 * refuses UPDATE, so there is no after).
 */
export function createEventStore(
	exec: Executor,
	d: Dialect,
	committer: GroupCommitter,
	keyring: Keyring | null,
	/** shared with the operator queries, so one tracker serves recovery, metrics and health */
	unfinished: UnfinishedDeliveries,
): EventStore {
	const select = `select ${eventColumns(d)} from events where `;
	const events = async (where: string, ...params: unknown[]) =>
		(await exec.query<EventRow>(select + where, ...params)).map((row) => toEvent(d, row));
	const outcomes = `citybase_id = ? and payment_status = ? and type in (${outcomeTypes.map((t) => `'${t}'`).join(", ")}) order by seq`;
	const accepted = `type = '${EventTypes.accepted}' and delivery_seq = ?`;
	/** What an event about a delivery copies from its verdict: not its data, whose JSON a write has no use for. */
	const paymentOf = async (deliverySeq: number, recordedAt: number) => {
		const [row] = await exec.query<{ citybaseId: number; paymentStatus: string; invoice: string }>(
			`select citybase_id as "citybaseId", payment_status as "paymentStatus", invoice from events where ${accepted}`,
			deliverySeq,
		);
		const text = (value: string | undefined) => (value === undefined ? null : d.text.decode(value));
		return {
			recordedAt,
			deliverySeq,
			citybaseId: row?.citybaseId ?? null,
			paymentStatus: text(row?.paymentStatus),
			invoice: text(row?.invoice),
		};
	};
	const lastSeq = async () =>
		(await exec.query<{ seq: number }>("select coalesce(max(seq), 0) as seq from events"))[0]?.seq ?? 0;

	/** The events plus the `delivery.received` events they belong to, in log order. */
	const withDeliveries = async (rows: StoredEvent[]) => {
		const deliverySeqs = [...new Set(rows.map((e) => e.deliverySeq).filter((s) => s !== null))];
		const received = deliverySeqs.length === 0 ? [] : await events(d.inList("seq"), d.list(deliverySeqs));
		return [...rows, ...received].sort((a, b) => a.seq - b.seq);
	};

	return {
		appendDelivery: (delivery, verdict, claim) =>
			committer.write(function* (log) {
				const deliverySeq = log.append((seq) => receivedEvent(delivery, keyring, seq));
				log.append(verdictEvent(delivery, deliverySeq, verdict));
				if (!verdict.accepted || !claim) return { deliverySeq };
				return { deliverySeq, claim: yield* takeClaim(d, claim, deliverySeq) };
			}),

		async recordOutcomes(deliverySeq, outcomes, now, { release, applied, dropStaleClaim: stale }) {
			const payment = await paymentOf(deliverySeq, now);
			await committer.write(function* (log) {
				for (const { type, effectKey, data } of outcomes) log.append({ ...payment, type, effectKey, data });
				if (applied) log.append({ ...payment, type: EventTypes.applied, data: applied });
				if (release) yield* releaseClaim(d, release);
				if (stale) yield* dropStaleClaim(d, stale, deliverySeq);
			});
		},

		async recordDeadLetter(deliverySeq, reason, attempts, now) {
			const payment = await paymentOf(deliverySeq, now);
			await committer.append({ ...payment, type: EventTypes.deadLettered, data: { reason, attempts } });
		},

		recordOperatorAction: (action, now) =>
			committer.append({
				type: EventTypes.operatorAction,
				recordedAt: now,
				deliverySeq: action.deliverySeq,
				citybaseId: action.citybaseId,
				paymentStatus: action.status,
				invoice: action.invoice,
				data: action.data,
			}),

		claim: (key, holder, deliverySeq, now, leaseMs) =>
			exec.transaction(() => takeClaim(d, { key, holder, now, leaseMs }, deliverySeq)),

		outcomesOf: (citybaseId, status) => events(outcomes, citybaseId, d.text.encode(status)),
		get: async (seq) => (await events("seq = ?", seq))[0] ?? null,
		async accepted(deliverySeq) {
			const [event] = await events(accepted, deliverySeq);
			return event ? acceptedDelivery(event) : null;
		},
		ofDelivery: (deliverySeq) => events("seq = ? or delivery_seq = ? order by seq", deliverySeq, deliverySeq),
		byPayment: async (citybaseId) => withDeliveries(await events("citybase_id = ?", citybaseId)),
		byInvoice: async (invoice) => withDeliveries(await events("invoice = ?", d.text.encode(invoice))),
		range: (from, to, pageSize = 2000) =>
			pages(
				from - 1,
				pageSize,
				(after) => events("seq > ? and seq <= ? order by seq limit ?", after, to, pageSize),
				(e) => e.seq,
			),
		incomplete: (limit = 1000) => unfinished.oldest(limit),
		lastSeq,
		async counts() {
			const [dead] = await exec.query<{ n: number }>(
				`select count(distinct delivery_seq) as n from events where type = '${EventTypes.deadLettered}'`,
			);
			return { events: await lastSeq(), incomplete: (await unfinished.summary()).pending, deadLettered: dead?.n ?? 0 };
		},
	};
}

/** Rows read a page at a time past a key (a position, a payment id), so memory stays flat however many. */
export async function* pages<Row>(
	after: number,
	pageSize: number,
	read: (after: number) => Promise<Row[]>,
	keyOf: (row: Row) => number,
): AsyncGenerator<Row> {
	for (;;) {
		const page = await read(after);
		yield* page;
		const last = page.at(-1);
		if (last === undefined || page.length < pageSize) return;
		after = keyOf(last);
	}
}

/**
 * The two events a delivery becomes: `delivery.received` with the exact bytes (sealed
 * with the keyring, bound to the position it is stored at) and the verdict,
 * `delivery.accepted` with the parsed payment or `delivery.rejected` with the reason.
 */
function receivedEvent(delivery: NewDelivery, keyring: Keyring | null, seq: number): NewEvent {
	const { contentType, remoteAddress, requestId } = delivery;
	return {
		type: EventTypes.received,
		recordedAt: delivery.receivedAt,
		body: keyring ? encryptBodySync(keyring, delivery.body, seq) : delivery.body,
		data: { contentType, remoteAddress, requestId } satisfies ReceivedData,
	};
}

function verdictEvent(delivery: NewDelivery, deliverySeq: number, verdict: Verdict): NewEvent {
	const event = { recordedAt: delivery.receivedAt, deliverySeq };
	if (!verdict.accepted) return { ...event, type: EventTypes.rejected, data: { reason: verdict.reason } };
	const { payment } = verdict;
	return {
		...event,
		type: EventTypes.accepted,
		citybaseId: payment.citybaseId,
		paymentStatus: payment.status,
		invoice: payment.invoice,
		data: { payment } satisfies AcceptedData,
	};
}

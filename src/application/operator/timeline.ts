import { decryptBody, type OpenedBody } from "../../events/bodyCipher.ts";
import type { Keyring } from "../../events/bodyKeys.ts";
import { EventTypes, type ReceivedData, type StoredEvent } from "../../events/types.ts";
import type { DeliveryFilter, DeliveryRow, DeliverySummary } from "../../storage/storage.ts";
import type { OperatorDeps } from "./deps.ts";
import { type Assessment, assess, type StatusHistory, statusHistories } from "./history.ts";

/** What the log tells of payments and deliveries, as operators look them up. */
export interface PaymentTimeline {
	citybaseId: number;
	/** the payment's events and its deliveries' `delivery.received`, in log order */
	timeline: StoredEvent[];
	statuses: { history: StatusHistory; assessment: Assessment }[];
}

/**
 * The payments a query names: a number is a CityBase payment id, anything else (or a
 * number no payment has) an invoice number, which may cover several payments.
 */
export async function findPayments(
	deps: Pick<OperatorDeps, "storage" | "fieldMap">,
	query: string,
): Promise<PaymentTimeline[]> {
	const { events } = deps.storage;
	let found = /^\d+$/.test(query) ? await events.byPayment(Number(query)) : [];
	if (found.length === 0) found = await events.byInvoice(query);
	return groupByPayment(found).map(([citybaseId, timeline]) => ({
		citybaseId,
		timeline,
		statuses: statusHistories(timeline).map((history) => ({ history, assessment: assess(history, deps.fieldMap) })),
	}));
}

/** The payment's own events with the `delivery.received` of each of its deliveries, grouped by payment. */
function groupByPayment(events: StoredEvent[]): [number, StoredEvent[]][] {
	const owner = new Map<number, number>();
	for (const e of events) {
		if (e.type === EventTypes.accepted && e.deliverySeq !== null) {
			owner.set(e.deliverySeq, e.data.payment.citybaseId);
		}
	}
	const groups = new Map<number, StoredEvent[]>();
	for (const e of events) {
		const id = e.citybaseId ?? owner.get(e.seq);
		if (id === undefined) continue;
		const group = groups.get(id) ?? [];
		group.push(e);
		groups.set(id, group);
	}
	return [...groups.entries()];
}

export type DeliveryProgress = "rejected" | "applied" | "dead-lettered" | "incomplete";

export interface ListedDelivery extends DeliveryRow {
	state: DeliveryProgress;
	summary: DeliverySummary | undefined;
}

/** Deliveries matching `filter`, newest first, with how far each got in Knack; limit 0: all. */
export async function listDeliveries(
	deps: Pick<OperatorDeps, "storage">,
	filter: DeliveryFilter,
	limit: number,
): Promise<ListedDelivery[]> {
	const { queries } = deps.storage;
	const rows = await queries.listDeliveries(filter, limit);
	const summaries = await queries.deliverySummaries(rows.map((r) => r.deliverySeq));
	return rows.map((row) => {
		const summary = summaries.get(row.deliverySeq);
		const state: DeliveryProgress = !row.accepted
			? "rejected"
			: summary?.applied
				? "applied"
				: summary?.deadLettered
					? "dead-lettered"
					: "incomplete";
		return { ...row, state, summary };
	});
}

export interface DeliveryDetail {
	deliverySeq: number;
	received: StoredEvent<typeof EventTypes.received>;
	request: ReceivedData;
	/** the body as CityBase sent it, opened with the keys given; `received.body` is as stored */
	body: OpenedBody;
	/** `delivery.accepted` or `delivery.rejected`; undefined if none was recorded */
	verdict: StoredEvent<typeof EventTypes.accepted | typeof EventTypes.rejected> | undefined;
	/** every later event of the delivery: Knack outcomes, applied, dead-lettered */
	outcomes: StoredEvent[];
	/** the delivery's events after `delivery.received`, verdict included */
	events: StoredEvent[];
}

export class LookupError extends Error {}

/**
 * One delivery and everything it caused; `seq` may be the position of any of its events.
 * The store hands bodies out as stored; they are opened here, where one is about to be
 * shown, so nothing else that reads the log (replay, rebuild, verify) needs a key.
 */
export async function deliveryDetail(
	deps: Pick<OperatorDeps, "storage">,
	seq: number,
	keyring: Keyring | null,
): Promise<DeliveryDetail> {
	const { events } = deps.storage;
	const event = await events.get(seq);
	if (!event) throw new LookupError(`no event ${seq} in the log (the last is ${await events.lastSeq()})`);
	const deliverySeq = event.deliverySeq ?? event.seq;
	const [received, ...rest] = await events.ofDelivery(deliverySeq);
	if (!received || received.type !== EventTypes.received) throw new LookupError(`event ${seq} belongs to no delivery`);
	const verdict = rest.find(
		(e): e is NonNullable<DeliveryDetail["verdict"]> =>
			e.type === EventTypes.accepted || e.type === EventTypes.rejected,
	);
	return {
		deliverySeq,
		received,
		request: received.data,
		body: await decryptBody(keyring, received.body ?? new Uint8Array(), received.seq),
		verdict,
		outcomes: rest.filter((e) => e !== verdict),
		events: rest,
	};
}

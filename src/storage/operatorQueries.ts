import { EventTypes, type StoredEvent } from "../events/types.ts";
import { currentClaims } from "./claims.ts";
import { type EventRow, eventColumns, pages, toEvent } from "./eventLog.ts";
import type { Dialect, Executor } from "./sql.ts";
import type { AcceptedRef, DeliveryRow, DeliverySummary, OperatorQueries } from "./storage.ts";
import type { UnfinishedDeliveries } from "./unfinished.ts";

const ACCEPTED = `type = '${EventTypes.accepted}'`;
const SUMMARISED = [EventTypes.effectSucceeded, EventTypes.effectFailed, EventTypes.applied, EventTypes.deadLettered];

/** A delivery as listed, from its verdict event (which carries the payment id, status and invoice). */
const deliveryRowOf = (verdict: StoredEvent): DeliveryRow => ({
	deliverySeq: verdict.deliverySeq ?? verdict.seq,
	receivedAt: verdict.recordedAt,
	accepted: verdict.type === EventTypes.accepted,
	citybaseId: verdict.citybaseId,
	status: verdict.paymentStatus,
	invoice: verdict.invoice,
	reason: verdict.type === EventTypes.rejected ? verdict.data.reason : null,
});

/** The operators' read-only questions about the log. */
export function createOperatorQueries(exec: Executor, d: Dialect, unfinished: UnfinishedDeliveries): OperatorQueries {
	const events = async (where: string, ...params: unknown[]) =>
		(await exec.query<EventRow>(`select ${eventColumns(d, "null")} from events where ${where}`, ...params)).map((row) =>
			toEvent(d, row),
		);
	return {
		async listDeliveries(filter, limit) {
			const where = [
				filter.rejectedOnly
					? `type = '${EventTypes.rejected}'`
					: `type in ('${EventTypes.accepted}', '${EventTypes.rejected}')`,
			];
			const params: unknown[] = [];
			const and = (condition: string, value: unknown) => {
				where.push(condition);
				params.push(value);
			};
			if (filter.citybaseId !== undefined) and("citybase_id = ?", filter.citybaseId);
			if (filter.invoice !== undefined) and("invoice = ?", d.text.encode(filter.invoice));
			if (filter.status !== undefined) and("payment_status = ?", d.text.encode(filter.status));
			if (filter.since !== undefined) and("recorded_at >= ?", filter.since);
			if (filter.until !== undefined) and("recorded_at < ?", filter.until);
			const limited = limit > 0 ? " limit ?" : "";
			if (limit > 0) params.push(limit);
			return (await events(`${where.join(" and ")} order by seq desc${limited}`, ...params)).map(deliveryRowOf);
		},
		/** From counts of each delivery's events by type; a delivery with none has zeros. */
		async deliverySummaries(deliverySeqs) {
			const counts = await exec.query<{ deliverySeq: number; type: string; count: number }>(
				`select delivery_seq as "deliverySeq", type, count(*) as count from events
				 where ${d.inList("delivery_seq")} and type in ('${SUMMARISED.join("', '")}') group by delivery_seq, type`,
				d.list(deliverySeqs),
			);
			const summaries = new Map<number, DeliverySummary>(
				deliverySeqs.map((seq) => [seq, { succeeded: 0, failed: 0, applied: false, deadLettered: false }]),
			);
			for (const { deliverySeq, type, count } of counts) {
				const summary = summaries.get(deliverySeq) as DeliverySummary;
				if (type === EventTypes.effectSucceeded) summary.succeeded = count;
				else if (type === EventTypes.effectFailed) summary.failed = count;
				else if (type === EventTypes.applied) summary.applied = true;
				else summary.deadLettered = true;
			}
			return summaries;
		},
		async openDeadLetters(limit) {
			const rows = await exec.query<{ seq: number }>(
				`select delivery_seq as seq from events where type = '${EventTypes.deadLettered}' and delivery_seq not in
				 (select delivery_seq from events where type = '${EventTypes.applied}' and delivery_seq is not null)
				 order by delivery_seq limit ?`,
				limit,
			);
			return rows.map((r) => r.seq);
		},
		async countAccepted(from, to) {
			const [row] = await exec.query<{ n: number }>(
				`select count(*) as n from events where ${ACCEPTED} and seq between ? and ?`,
				from,
				to,
			);
			return row?.n ?? 0;
		},
		// By the type index: the log's other events are never read.
		acceptedIn: (from, to) =>
			pages(
				from - 1,
				2000,
				async (after) =>
					(
						await exec.query<AcceptedRef>(
							`select seq, citybase_id as "citybaseId", payment_status as status from events
							 where ${ACCEPTED} and seq > ? and seq <= ? and citybase_id is not null order by seq limit 2000`,
							after,
							to,
						)
					).map((ref) => ({ ...ref, status: d.text.decode(ref.status) })),
				(ref) => ref.seq,
			),
		/**
		 * A whole-log replay asks for its payments a page at a time, one query per page, in the
		 * order of the citybase_id index (payment, then position), so nothing is sorted.
		 */
		async paymentsEvents(citybaseIds) {
			const byPayment = new Map<number, StoredEvent[]>();
			for (const event of await events(`${d.inList("citybase_id")} order by citybase_id, seq`, d.list(citybaseIds))) {
				const list = byPayment.get(event.citybaseId as number);
				if (list) list.push(event);
				else byPayment.set(event.citybaseId as number, [event]);
			}
			return byPayment;
		},
		currentClaims: () => exec.run(currentClaims(d)),
		async backlog(deadLetteredSince) {
			const [dead] = await exec.query<{ n: number }>(
				`select count(distinct delivery_seq) as n from events where type = '${EventTypes.deadLettered}' and recorded_at >= ?`,
				deadLetteredSince,
			);
			return { ...(await unfinished.summary()), deadLettered: dead?.n ?? 0 };
		},
	};
}

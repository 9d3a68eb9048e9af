import type { OperatorDeps } from "./deps.ts";
import { findPayments, type PaymentTimeline } from "./timeline.ts";

/** Knack record ids are 24 hexadecimal digits (MongoDB object ids). */
const knackRecordId = /^[0-9a-f]{24}$/i;

/**
 * The payments a search names: a CityBase payment id or an invoice number (as
 * `findPayments`), else a Knack record id, the transaction, reservation or any record
 * the service wrote for a payment. Record ids are looked up in the payments read model
 * (which trails the log by about a second): the log has no index on them.
 */
export async function searchPayments(
	deps: Pick<OperatorDeps, "storage" | "fieldMap">,
	query: string,
): Promise<PaymentTimeline[]> {
	const q = query.trim();
	if (q === "") return [];
	const found = await findPayments(deps, q);
	if (found.length > 0 || !knackRecordId.test(q)) return found;
	const ids: number[] = [];
	for await (const row of deps.storage.readModel.rows()) {
		const records = [row.knackRecordId, row.parentRecordId, ...Object.values(row.knackRecords)];
		if (records.some((id) => id?.toLowerCase() === q.toLowerCase())) ids.push(row.citybaseId);
	}
	const timelines = await Promise.all(ids.map((id) => findPayments(deps, String(id))));
	return timelines.flat().filter((t) => ids.includes(t.citybaseId));
}

/** The payment as last delivered: its app, invoice and Knack records. */
export function latestPayment(payment: PaymentTimeline) {
	return payment.statuses.at(-1)?.history.deliveries.at(-1)?.payment;
}

/** Whether Knack is still owed anything for the payment, in any of its statuses. */
export function isUnfinished(payment: PaymentTimeline): boolean {
	return payment.statuses.some(
		({ history, assessment }) => assessment.unfinished.length > 0 || history.deliveries.some((d) => !d.applied),
	);
}

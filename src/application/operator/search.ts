import type { PaymentRow } from "../../projections/paymentRow.ts";
import type { PaymentMatch, SearchField } from "../../storage/storage.ts";
import type { OperatorDeps } from "./deps.ts";
import { keysetPage } from "./keysetPage.ts";
import { findPayments, type PaymentTimeline } from "./timeline.ts";

/** How many payments a search lists at most. */
export const SEARCH_LIMIT = 50;

/**
 * The payments a search names: a CityBase payment id or an invoice number (as
 * `findPayments`), else a Knack record id, the transaction, reservation or any record
 * the service wrote for a payment, found by its key in the payments read model (which
 * trails the log by about a second).
 */
export async function searchPayments(
	deps: Pick<OperatorDeps, "storage" | "fieldMap">,
	query: string,
): Promise<PaymentTimeline[]> {
	const q = query.trim();
	if (q === "") return [];
	const found = await findPayments(deps, q);
	if (found.length > 0) return found;
	const key = q.toLowerCase();
	const ids = new Set(
		(await deps.storage.payments.search(key, SEARCH_LIMIT))
			.filter((m) => m.key === key && m.field !== "payment" && m.field !== "invoice")
			.map((m) => m.row.citybaseId),
	);
	const timelines = await Promise.all([...ids].map((id) => findPayments(deps, String(id))));
	return timelines.flat().filter((t) => ids.has(t.citybaseId));
}

/** A payment a forgiving search found, with what of it matched. */
export interface Match {
	row: PaymentRow;
	/** the key that matched, as the payment has it (its invoice as CityBase sent it) */
	matched: string;
	field: SearchField;
	/** the whole key is what was typed, not only its start */
	exact: boolean;
}

export interface Matches {
	matches: Match[];
	/** more payments match than are listed */
	more: boolean;
}

/**
 * What an operator typed, matched forgivingly: any case, and the start of a CityBase
 * payment id, an invoice number or a Knack record id; each payment once (by its first
 * matching key), exact matches first. One range of an index, so its cost does not grow
 * with the log.
 */
export async function searchMatches(deps: Pick<OperatorDeps, "storage">, query: string): Promise<Matches> {
	const key = query.trim().toLowerCase();
	if (key === "") return { matches: [], more: false };
	// A payment found by several keys takes several of these; enough are read for a full list.
	const found = await deps.storage.payments.search(key, SEARCH_LIMIT * 3 + 1);
	const byPayment = new Map<number, Match>();
	for (const m of found) if (!byPayment.has(m.row.citybaseId)) byPayment.set(m.row.citybaseId, matchOf(m, key));
	const all = [...byPayment.values()].sort((a, b) => Number(b.exact) - Number(a.exact));
	return { matches: all.slice(0, SEARCH_LIMIT), more: all.length > SEARCH_LIMIT || found.length > SEARCH_LIMIT * 3 };
}

function matchOf({ row, key, field }: PaymentMatch, typed: string): Match {
	const shown: Partial<Record<SearchField, string | null>> = {
		invoice: row.invoice,
		transaction: row.knackRecordId,
		reservation: row.parentRecordId,
	};
	return { row, matched: shown[field] ?? key, field, exact: key === typed };
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

/** Recent payments, a page at a time, newest first. */
export interface RecentPage {
	rows: PaymentRow[];
	/** where the next (older) and previous (newer) pages start: a last delivery's position; null at either end */
	older: number | null;
	newer: number | null;
}

export const RECENT_PAGE_SIZE = 50;

export async function recentPayments(
	deps: Pick<OperatorDeps, "storage">,
	page: { before?: number; after?: number },
): Promise<RecentPage> {
	const limit = RECENT_PAGE_SIZE + 1;
	const backwards = page.after !== undefined && page.before === undefined;
	const found = await deps.storage.payments.recent(
		backwards ? { after: page.after, limit } : { before: page.before, limit },
	);
	const { rows, hasNext, hasPrevious } = keysetPage(found, RECENT_PAGE_SIZE, backwards, page.before !== undefined);
	return {
		rows,
		older: hasNext ? (rows.at(-1)?.lastDeliverySeq ?? null) : null,
		newer: hasPrevious ? (rows[0]?.lastDeliverySeq ?? null) : null,
	};
}

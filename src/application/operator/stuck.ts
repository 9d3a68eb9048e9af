import type { Payment } from "../../events/payload.ts";
import { EventTypes } from "../../events/types.ts";
import type { PaymentRow, Trouble } from "../../projections/paymentRow.ts";
import type { StuckCount, StuckCursor, StuckFilter } from "../../storage/storage.ts";
import type { OperatorDeps } from "./deps.ts";
import { type Assessment, assess, type DeliveryState, type StatusHistory, statusHistories } from "./history.ts";
import { keysetPage } from "./keysetPage.ts";

/**
 * What Knack is still owed, as an operator sees it (the CLI's `pending`, the console's
 * Stuck page): incomplete and dead-lettered deliveries, oldest first, and why.
 */
export interface StuckDelivery {
	delivery: DeliveryState;
	payment: Payment;
	assessment: Assessment;
	/** failed Knack attempts recorded for this delivery */
	attempts: number;
}

export async function stuckDeliveries(
	deps: Pick<OperatorDeps, "storage" | "fieldMap">,
	limit: number,
): Promise<StuckDelivery[]> {
	const { events, queries } = deps.storage;
	const seqs = [
		...(await events.incomplete(limit)).map((d) => d.deliverySeq),
		...(await queries.openDeadLetters(limit)),
	].sort((a, b) => a - b);

	const histories = new Map<number, StatusHistory[]>();
	const rows: StuckDelivery[] = [];
	for (const deliverySeq of new Set(seqs)) {
		const accepted = await events.accepted(deliverySeq);
		if (!accepted) continue;
		const { citybaseId, status } = accepted.payment;
		let ofPayment = histories.get(citybaseId);
		if (!ofPayment) {
			ofPayment = statusHistories(await events.byPayment(citybaseId));
			histories.set(citybaseId, ofPayment);
		}
		const history = ofPayment.find((h) => h.status === status);
		const delivery = history?.deliveries.find((d) => d.deliverySeq === deliverySeq);
		if (!history || !delivery) continue;
		const attempts = history.outcomes.filter(
			(o) => o.deliverySeq === deliverySeq && o.type === EventTypes.effectFailed,
		).length;
		rows.push({ delivery, payment: accepted.payment, assessment: assess(history, deps.fieldMap), attempts });
	}
	return rows;
}

/** How many stuck payments a page shows. */
export const STUCK_PAGE_SIZE = 50;
/** An age filter's count stops here: it reads an index entry per payment it counts. */
export const AGE_COUNT_CAP = 1000;

/** The age filter's choices: stuck for longer than each. */
export const stuckAges = { "1h": 3_600_000, "1d": 86_400_000, "7d": 604_800_000 } as const;
export type StuckAge = keyof typeof stuckAges;

/** What an operator asks of the Stuck page (or `cli stuck`): filters, and where in the list. */
export interface StuckQuery {
	app?: string;
	status?: string;
	trouble?: Trouble;
	olderThan?: StuckAge;
	after?: StuckCursor;
	before?: StuckCursor;
}

export interface StuckPage {
	/** one row per payment, its deliveries folded together, oldest first */
	rows: PaymentRow[];
	/** every stuck payment, whatever the filters */
	total: number;
	/** those the filters leave: exact, or at least `n` when an age filter reached AGE_COUNT_CAP */
	matching: { n: number; atLeast: boolean };
	/** where the next and previous pages start; null at either end */
	next: StuckCursor | null;
	previous: StuckCursor | null;
	/** the (app, status, trouble) combinations stuck now, for the filters' choices */
	counts: StuckCount[];
	/** log events the read model has not folded yet (it trails the log by a moment) */
	behind: number;
}

/**
 * What Knack is still owed, one row per payment (the read model's: a payment CityBase sent
 * twice is one row), a page at a time. Costs the same whether 10 or 100,000 payments are
 * stuck: each question reads an index and a page (`PaymentQueries`).
 */
export async function stuckPayments(
	deps: Pick<OperatorDeps, "storage">,
	query: StuckQuery,
	now: number,
): Promise<StuckPage> {
	const { payments, events } = deps.storage;
	const filter: StuckFilter = {
		app: query.app,
		status: query.status,
		trouble: query.trouble,
		stuckBefore: query.olderThan ? now - stuckAges[query.olderThan] : undefined,
	};
	const backwards = query.before !== undefined && query.after === undefined;
	const limit = STUCK_PAGE_SIZE + 1;
	const [found, counts, n, folded, last] = await Promise.all([
		backwards
			? payments.stuck(filter, { before: query.before, limit })
			: payments.stuck(filter, { after: query.after, limit }),
		payments.stuckCounts(),
		payments.countStuck(filter, AGE_COUNT_CAP),
		payments.foldedTo(),
		events.lastSeq(),
	]);
	const { rows, hasNext, hasPrevious } = keysetPage(found, STUCK_PAGE_SIZE, backwards, query.after !== undefined);
	const first = rows[0];
	const lastRow = rows.at(-1);
	return {
		rows,
		total: counts.reduce((sum, c) => sum + c.n, 0),
		matching: { n, atLeast: filter.stuckBefore !== undefined && n >= AGE_COUNT_CAP },
		next: hasNext && lastRow ? cursorOf(lastRow) : null,
		previous: hasPrevious && first ? cursorOf(first) : null,
		counts,
		behind: Math.max(0, last - folded),
	};
}

/** A place in the list as written in a URL or printed by the CLI: `stuckSince.citybaseId`. */
export const cursorText = (cursor: StuckCursor) => `${cursor.stuckSince}.${cursor.citybaseId}`;

/** The place `cursorText` wrote; undefined for anything else. */
export function parseCursor(text: string): StuckCursor | undefined {
	const match = /^(\d{1,16})\.(\d{1,16})$/.exec(text);
	return match ? { stuckSince: Number(match[1]), citybaseId: Number(match[2]) } : undefined;
}

const cursorOf = (row: PaymentRow): StuckCursor => ({
	stuckSince: row.stuckSince as number,
	citybaseId: row.citybaseId,
});

/** How many payments are stuck: what the navigation shows beside "Stuck payments". */
export async function stuckCount(deps: Pick<OperatorDeps, "storage">): Promise<number> {
	return (await deps.storage.payments.stuckCounts()).reduce((sum, c) => sum + c.n, 0);
}

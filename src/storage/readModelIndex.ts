import type { PaymentRow } from "../projections/paymentRow.ts";
import { chunks, command, type Dialect, placeholders, textFor, type Work } from "./sql.ts";
import type { SearchField } from "./storage.ts";

/**
 * What the store keeps beside the payments read model, so operators' questions read an
 * index instead of the rows: how many payments are stuck by (app, status, trouble), and
 * every payment's search keys. Both are changed with the rows, in the transaction that
 * folds a page, from what the fold changed; both are emptied with the read model.
 */
export interface SearchKey {
	key: string;
	citybaseId: number;
	field: SearchField;
}

export interface IndexChanges {
	/** by how much each (app, status, trouble) count moves; never zero */
	counts: { app: string; status: string; trouble: string; delta: number }[];
	added: SearchKey[];
	removed: SearchKey[];
}

/** What each kind of Knack write's record is called in a search's results. */
const fieldOfKind: Record<string, SearchField> = {
	message: "message",
	refund: "refund record",
	parent: "reservation",
	transaction: "transaction",
};

/** A payment's search keys, lower-cased, each once (its first reading wins): id, invoice, then its Knack records. */
export function searchKeys(row: PaymentRow): Map<string, SearchField> {
	const keys = new Map<string, SearchField>();
	const add = (value: string | null, field: SearchField) => {
		const key = value?.trim().toLowerCase();
		if (key && !keys.has(key)) keys.set(key, field);
	};
	add(String(row.citybaseId), "payment");
	add(row.invoice, "invoice");
	add(row.knackRecordId, "transaction");
	add(row.parentRecordId, "reservation");
	for (const [effectKey, recordId] of Object.entries(row.knackRecords)) {
		add(recordId, fieldOfKind[effectKey.slice(effectKey.lastIndexOf(":") + 1)] ?? "message");
	}
	return keys;
}

/** Whether the fields keys come from are unchanged: the fold keeps `knackRecords` as it was unless a record was added. */
const sameKeys = (a: PaymentRow, b: PaymentRow) =>
	a.knackRecords === b.knackRecords &&
	a.invoice === b.invoice &&
	a.knackRecordId === b.knackRecordId &&
	a.parentRecordId === b.parentRecordId;

/** The (app, status, trouble) a stuck payment is counted under; null when it is not stuck. */
function stuckFacet(row: PaymentRow | undefined): string | null {
	if (!row || row.stuckSince === null) return null;
	return JSON.stringify([row.app, row.stuckStatus ?? "", row.trouble ?? "none"]);
}

/** How the counts and keys move when the rows `loaded` before a fold became `changed`. */
export function indexChanges(loaded: ReadonlyMap<number, PaymentRow>, changed: PaymentRow[]): IndexChanges {
	const deltas = new Map<string, number>();
	const move = (facet: string | null, by: number) => {
		if (facet !== null) deltas.set(facet, (deltas.get(facet) ?? 0) + by);
	};
	const added: SearchKey[] = [];
	const removed: SearchKey[] = [];
	for (const row of changed) {
		const before = loaded.get(row.citybaseId);
		move(stuckFacet(before), -1);
		move(stuckFacet(row), 1);
		if (before && sameKeys(before, row)) continue;
		const had = before ? searchKeys(before) : new Map<string, SearchField>();
		const has = searchKeys(row);
		for (const [key, field] of has) if (!had.has(key)) added.push({ key, citybaseId: row.citybaseId, field });
		for (const [key, field] of had) if (!has.has(key)) removed.push({ key, citybaseId: row.citybaseId, field });
	}
	const counts = [...deltas].flatMap(([facet, delta]) => {
		if (delta === 0) return [];
		const [app, status, trouble] = JSON.parse(facet) as [string, string, string];
		return [{ app, status, trouble, delta }];
	});
	return { counts, added, removed };
}

const addKeys = textFor(
	(rows) => `insert into payment_keys (key, citybase_id, field) values ${placeholders(rows, 3)} on conflict do nothing`,
);

/** Applies `changes`, in the transaction that folds the page; text from a postback stored as the dialect stores it. */
export function* applyIndexChanges(d: Dialect, changes: IndexChanges): Work<void> {
	for (const { app, status, trouble, delta } of changes.counts) {
		yield* command(
			`insert into stuck_counts (app, status, trouble, n) values (?, ?, ?, ?)
			 on conflict (app, status, trouble) do update set n = stuck_counts.n + excluded.n`,
			app,
			d.text.encode(status),
			trouble,
			delta,
		);
	}
	if (changes.counts.some((c) => c.delta < 0)) yield* command("delete from stuck_counts where n <= 0");
	for (const { key, citybaseId } of changes.removed) {
		yield* command("delete from payment_keys where key = ? and citybase_id = ?", d.text.encode(key), citybaseId);
	}
	for (const chunk of chunks(changes.added)) {
		yield* command(
			addKeys(chunk.length),
			...chunk.flatMap(({ key, citybaseId, field }) => [d.text.encode(key), citybaseId, field]),
		);
	}
}

/** What `reset` empties beside the rows. */
export function* resetIndex(): Work<void> {
	yield* command("delete from stuck_counts");
	yield* command("delete from payment_keys");
}

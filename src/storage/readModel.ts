import type { PaymentRow } from "../projections/paymentRow.ts";
import { type EventRow, eventColumns, pages, toEvent } from "./eventLog.ts";
import { applyIndexChanges, indexChanges, resetIndex } from "./readModelIndex.ts";
import { command, type Dialect, type Executor, lock, query, type Work } from "./sql.ts";
import type { CursorStore, ReadModelStore } from "./storage.ts";

const CHECKPOINT = "payments";

/** A named position in `checkpoints` (the read model's own, a replay's cursor); 0 before any. */
function* checkpointAt(name: string): Work<number> {
	const [row] = yield* query<{ position: number }>("select position from checkpoints where name = ?", name);
	return row?.position ?? 0;
}

/** How far the read model has folded the log. */
export const foldedTo = () => checkpointAt(CHECKPOINT);

const SET_CHECKPOINT =
	"insert into checkpoints (name, position) values (?, ?) on conflict (name) do update set position = excluded.position";

export type StoredPaymentRow = Omit<PaymentRow, "knackRecords" | "open" | "lastError"> & {
	knackRecords: string;
	open: string;
	lastError: string | null;
};

/**
 * The read model's columns, once: each with its PaymentRow field and PostgreSQL's type
 * ("json" for a column that holds JSON text), in the order both dialects' upserts write them.
 */
export const paymentTable = [
	["citybase_id", "citybaseId", "int8"],
	["app", "app", "text"],
	["invoice", "invoice", "text"],
	["latest_status", "latestStatus", "text"],
	["total_amount", "totalAmount", "text"],
	["knack_record_id", "knackRecordId", "text"],
	["parent_record_id", "parentRecordId", "text"],
	["knack_records", "knackRecords", "json"],
	["deliveries", "deliveries", "int8"],
	["last_delivery_seq", "lastDeliverySeq", "int8"],
	["updated_at", "updatedAt", "int8"],
	["received_at", "receivedAt", "int8"],
	["open_deliveries", "open", "json"],
	["stuck_since", "stuckSince", "int8"],
	["stuck_status", "stuckStatus", "text"],
	["trouble", "trouble", "text"],
	["last_error", "lastError", "json"],
] as const satisfies readonly (readonly [string, keyof PaymentRow, "int8" | "text" | "json"])[];

/** An upsert's column list and its conflict clause, the same in both dialects. */
export const paymentUpsert = {
	columns: paymentTable.map(([column]) => column).join(", "),
	onConflict: `on conflict (citybase_id) do update set ${paymentTable
		.slice(1)
		.map(([column]) => `${column} = excluded.${column}`)
		.join(", ")}`,
};

/** The row's columns as PaymentRow's fields, the JSON ones as their text; `p`: a table alias and its dot, or "". */
export const paymentColumns = (d: Dialect, p = "") =>
	paymentTable
		.map(([column, field, type]) => `${type === "json" ? d.json(p + column) : p + column} as "${field}"`)
		.join(", ");

/** A stored row as the read model's row: text from a postback decoded, JSON parsed. */
export const paymentRowOf =
	(d: Dialect) =>
	(row: StoredPaymentRow): PaymentRow => ({
		...row,
		invoice: d.text.decode(row.invoice),
		latestStatus: d.text.decode(row.latestStatus),
		knackRecordId: d.text.decode(row.knackRecordId),
		parentRecordId: row.parentRecordId === null ? null : d.text.decode(row.parentRecordId),
		knackRecords: JSON.parse(row.knackRecords),
		open: JSON.parse(row.open),
		stuckStatus: row.stuckStatus === null ? null : d.text.decode(row.stuckStatus),
		lastError: row.lastError === null ? null : JSON.parse(row.lastError),
	});

/** The payments read model's table and checkpoint: a fold over the log, dropped and rebuilt at will. */
export function createReadModelStore(exec: Executor, d: Dialect): ReadModelStore {
	const select = `select ${paymentColumns(d)} from payments where `;
	const toRow = paymentRowOf(d);
	const rows = async (where: string, ...params: unknown[]) =>
		(await exec.query<StoredPaymentRow>(select + where, ...params)).map(toRow);
	// No body (null): nothing is folded from one, and a page of them is megabytes read for nothing.
	const page = `select ${eventColumns(d, "null")} from events where seq > ? order by seq limit ?`;

	return {
		// Under the read model's lock (SQLite: the write lock), so two catch-ups never fold a page twice.
		foldPage: (pageSize, fold) =>
			exec.transaction(function* () {
				yield* lock(d, "readModel");
				const checkpoint = yield* foldedTo();
				const events = (yield* query<EventRow>(page, checkpoint, pageSize)).map((row) => toEvent(d, row));
				const last = events.at(-1);
				if (last === undefined) return 0;
				const ids = [...new Set(events.map((e) => e.citybaseId).filter((id) => id !== null))];
				const loaded = new Map<number, PaymentRow>();
				if (ids.length > 0) {
					for (const row of yield* query<StoredPaymentRow>(select + d.inList("citybase_id"), d.list(ids))) {
						loaded.set(row.citybaseId, toRow(row));
					}
				}
				const folded = new Map(loaded);
				fold(events, folded);
				// The fold hands back the very row it was given when no event changed it.
				const changed = [...folded].filter(([id, row]) => loaded.get(id) !== row).map(([, row]) => row);
				if (changed.length > 0) yield* d.upsertPayments(changed);
				yield* applyIndexChanges(d, indexChanges(loaded, changed));
				yield* command(SET_CHECKPOINT, CHECKPOINT, last.seq);
				return events.length;
			}),
		reset: () =>
			exec.transaction(function* () {
				yield* lock(d, "readModel");
				yield* command("delete from payments");
				yield* resetIndex();
				yield* command("delete from checkpoints where name = ?", CHECKPOINT);
			}),
		get: async (citybaseId) => (await rows("citybase_id = ?", citybaseId))[0] ?? null,
		rows: () =>
			pages(
				Number.MIN_SAFE_INTEGER,
				5000,
				(after) => rows("citybase_id > ? order by citybase_id limit 5000", after),
				(row) => row.citybaseId,
			),
		async count() {
			const [row] = await exec.query<{ n: number }>("select count(*) as n from payments");
			return row?.n ?? 0;
		},
	};
}

/** Named log positions, kept beside the read model's checkpoint. */
export function createCursorStore(exec: Executor): CursorStore {
	return {
		read: (name) => exec.run(checkpointAt(name)),
		write: (name, position) => exec.run(command(SET_CHECKPOINT, name, position)),
		clear: (name) => exec.run(command("delete from checkpoints where name = ?", name)),
	};
}

import type { StoredEvent } from "../../events/types.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import { indexChanges, indexStatements, resetIndexStatements, type SearchKey } from "../readModelIndex.ts";
import type { Statement } from "../sqlText.ts";
import type { ReadModelStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";

const CHECKPOINT = "payments";

/** The table's columns as PaymentRow's fields, `knack_records` still its JSON text. */
const ROW_COLUMNS = `citybase_id as citybaseId, app, invoice, latest_status as latestStatus, total_amount as totalAmount,
	knack_record_id as knackRecordId, parent_record_id as parentRecordId, knack_records as knackRecords,
	deliveries, last_delivery_seq as lastDeliverySeq, updated_at as updatedAt, received_at as receivedAt,
	open_deliveries as open, stuck_since as stuckSince, stuck_status as stuckStatus, trouble, last_error as lastError`;

type StoredRow = Omit<PaymentRow, "knackRecords" | "open" | "lastError"> & {
	knackRecords: string;
	open: string;
	lastError: string | null;
};
type PageRow = Omit<StoredEvent, "data"> & { data: string | Record<string, unknown> | null };

const toRow = (row: StoredRow): PaymentRow => ({
	...row,
	knackRecords: JSON.parse(row.knackRecords),
	open: JSON.parse(row.open),
	lastError: row.lastError === null ? null : JSON.parse(row.lastError),
});

/** A page's new search keys in one statement: its one parameter the JSON of them. */
const insertKeys = (keys: SearchKey[]): Statement => [
	`insert into payment_keys (key, citybase_id, field) select json_extract(value, '$.key'),
	 json_extract(value, '$.citybaseId'), json_extract(value, '$.field') from json_each(?) where true
	 on conflict do nothing`,
	[JSON.stringify(keys)],
];

/**
 * The payments read model's table and checkpoint in the SQLite file. bun:sqlite's own
 * prepared statements, not drizzle's: a rebuild reads every event and writes every
 * payment, and mapping each row through the query builder cost more than the SQL.
 */
export function createSqliteReadModelStore({ sqlite }: OpenDatabase): ReadModelStore {
	// No body (null as body): nothing is folded from one, and a page of them is megabytes copied for nothing.
	const selectPage = sqlite.query<PageRow, [number, number]>(
		`select seq, type, recorded_at as recordedAt, delivery_seq as deliverySeq, citybase_id as citybaseId,
		 payment_status as paymentStatus, invoice, effect_key as effectKey, null as body, data
		 from events where seq > ?1 order by seq limit ?2`,
	);
	const selectCheckpoint = sqlite.query<{ position: number }, [string]>(
		"select position from checkpoints where name = ?1",
	);
	const selectRows = sqlite.query<StoredRow, [string]>(
		`select ${ROW_COLUMNS} from payments where citybase_id in (select value from json_each(?1))`,
	);
	const selectRow = sqlite.query<StoredRow, [number]>(`select ${ROW_COLUMNS} from payments where citybase_id = ?1`);
	const selectRowsAfter = sqlite.query<StoredRow, [number, number]>(
		`select ${ROW_COLUMNS} from payments where citybase_id > ?1 order by citybase_id limit ?2`,
	);
	const upsert = sqlite.query<never, (string | number | null)[]>(
		`insert into payments (citybase_id, app, invoice, latest_status, total_amount, knack_record_id, parent_record_id,
		 knack_records, deliveries, last_delivery_seq, updated_at, received_at, open_deliveries, stuck_since, stuck_status,
		 trouble, last_error) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
		 on conflict (citybase_id) do update set app = excluded.app, invoice = excluded.invoice,
		 latest_status = excluded.latest_status, total_amount = excluded.total_amount,
		 knack_record_id = excluded.knack_record_id, parent_record_id = excluded.parent_record_id,
		 knack_records = excluded.knack_records, deliveries = excluded.deliveries,
		 last_delivery_seq = excluded.last_delivery_seq, updated_at = excluded.updated_at,
		 received_at = excluded.received_at, open_deliveries = excluded.open_deliveries,
		 stuck_since = excluded.stuck_since, stuck_status = excluded.stuck_status, trouble = excluded.trouble,
		 last_error = excluded.last_error`,
	);
	const writeCheckpoint = sqlite.query<never, [string, number]>(
		"insert into checkpoints (name, position) values (?1, ?2) on conflict (name) do update set position = excluded.position",
	);
	const deleteCheckpoint = sqlite.query<never, [string]>("delete from checkpoints where name = ?1");

	// IMMEDIATE: the checkpoint is read under the write lock, so two processes never fold a page twice.
	const foldPage = sqlite.transaction((pageSize: number, fold: Parameters<ReadModelStore["foldPage"]>[1]) => {
		const after = selectCheckpoint.get(CHECKPOINT)?.position ?? 0;
		// Each row becomes its event in place: a page's events are the bulk of what a rebuild allocates.
		const page = selectPage.all(after, pageSize);
		for (const e of page) if (typeof e.data === "string") e.data = JSON.parse(e.data);
		if (page.length === 0) return 0;
		const ids = [...new Set(page.map((e) => e.citybaseId).filter((id): id is number => id !== null))];
		const loaded = new Map<number, PaymentRow>();
		if (ids.length > 0) for (const row of selectRows.all(JSON.stringify(ids))) loaded.set(row.citybaseId, toRow(row));
		const rows = new Map(loaded);
		fold(page as StoredEvent[], rows);
		// The fold hands back the very row it was given when no event changed it.
		const changed = [...rows].filter(([id, row]) => loaded.get(id) !== row).map(([, row]) => row);
		for (const row of changed) {
			upsert.run(
				row.citybaseId,
				row.app,
				row.invoice,
				row.latestStatus,
				row.totalAmount,
				row.knackRecordId,
				row.parentRecordId,
				JSON.stringify(row.knackRecords),
				row.deliveries,
				row.lastDeliverySeq,
				row.updatedAt,
				row.receivedAt,
				JSON.stringify(row.open),
				row.stuckSince,
				row.stuckStatus,
				row.trouble,
				row.lastError && JSON.stringify(row.lastError),
			);
		}
		for (const [text, params] of indexStatements(indexChanges(loaded, changed), (v) => v, insertKeys)) {
			sqlite.query(text).run(...(params as never[]));
		}
		writeCheckpoint.run(CHECKPOINT, (page.at(-1) as StoredEvent).seq);
		return page.length;
	}).immediate;

	return {
		async foldPage(pageSize, fold) {
			return foldPage(pageSize, fold);
		},
		async reset() {
			sqlite.transaction(() => {
				sqlite.run("delete from payments");
				for (const [text] of resetIndexStatements) sqlite.run(text);
				deleteCheckpoint.run(CHECKPOINT);
			})();
		},
		async get(citybaseId) {
			const row = selectRow.get(citybaseId);
			return row ? toRow(row) : null;
		},
		async *rows() {
			for (let after = Number.MIN_SAFE_INTEGER; ; ) {
				const page = selectRowsAfter.all(after, 5000);
				for (const row of page) yield toRow(row);
				if (page.length < 5000) return;
				after = (page.at(-1) as StoredRow).citybaseId;
			}
		},
		async count() {
			return sqlite.query<{ n: number }, []>("select count(*) as n from payments").get()?.n ?? 0;
		},
	};
}

import { decodeEvent, type EventRow } from "../../events/decode.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import type { ReadModelStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";

const CHECKPOINT = "payments";

/** The table's columns as PaymentRow's fields, `knack_records` still its JSON text. */
const ROW_COLUMNS = `citybase_id as citybaseId, app, invoice, latest_status as latestStatus, total_amount as totalAmount,
	knack_record_id as knackRecordId, parent_record_id as parentRecordId, knack_records as knackRecords,
	deliveries, last_delivery_seq as lastDeliverySeq, updated_at as updatedAt`;

type StoredRow = Omit<PaymentRow, "knackRecords"> & { knackRecords: string };
type PageRow = Omit<EventRow, "data"> & { data: string | Record<string, unknown> | null };

const toRow = (row: StoredRow): PaymentRow => ({ ...row, knackRecords: JSON.parse(row.knackRecords) });

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
	const upsert = sqlite.query<
		never,
		[number, string, string, string, string, string, string | null, string, number, number, number]
	>(
		`insert into payments (citybase_id, app, invoice, latest_status, total_amount, knack_record_id, parent_record_id,
		 knack_records, deliveries, last_delivery_seq, updated_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
		 on conflict (citybase_id) do update set app = excluded.app, invoice = excluded.invoice,
		 latest_status = excluded.latest_status, total_amount = excluded.total_amount,
		 knack_record_id = excluded.knack_record_id, parent_record_id = excluded.parent_record_id,
		 knack_records = excluded.knack_records, deliveries = excluded.deliveries,
		 last_delivery_seq = excluded.last_delivery_seq, updated_at = excluded.updated_at`,
	);
	const writeCheckpoint = sqlite.query<never, [string, number]>(
		"insert into checkpoints (name, position) values (?1, ?2) on conflict (name) do update set position = excluded.position",
	);
	const deleteCheckpoint = sqlite.query<never, [string]>("delete from checkpoints where name = ?1");

	// IMMEDIATE: the checkpoint is read under the write lock, so two processes never fold a page twice.
	const foldPage = sqlite.transaction((pageSize: number, fold: Parameters<ReadModelStore["foldPage"]>[1]) => {
		const after = selectCheckpoint.get(CHECKPOINT)?.position ?? 0;
		// Each row becomes its event in place: a page's events are the bulk of what a rebuild allocates.
		const read = selectPage.all(after, pageSize);
		for (const e of read) if (typeof e.data === "string") e.data = JSON.parse(e.data);
		const page = read.map(decodeEvent);
		if (page.length === 0) return 0;
		const ids = [...new Set(page.map((e) => e.citybaseId).filter((id): id is number => id !== null))];
		const loaded = new Map<number, PaymentRow>();
		if (ids.length > 0) for (const row of selectRows.all(JSON.stringify(ids))) loaded.set(row.citybaseId, toRow(row));
		const rows = new Map(loaded);
		fold(page, rows);
		for (const [id, row] of rows) {
			// The fold hands back the very row it was given when no event changed it.
			if (loaded.get(id) === row) continue;
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
			);
		}
		writeCheckpoint.run(CHECKPOINT, page.at(-1)?.seq ?? after);
		return page.length;
	}).immediate;

	return {
		async foldPage(pageSize, fold) {
			return foldPage(pageSize, fold);
		},
		async reset() {
			sqlite.transaction(() => {
				sqlite.run("delete from payments");
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

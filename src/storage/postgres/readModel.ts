import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { EventType } from "../../events/types.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import { indexChanges, indexStatements, resetIndexStatements, type SearchKey } from "../readModelIndex.ts";
import type { Statement } from "../sqlText.ts";
import type { ReadModelStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { Locks, lockFor } from "./locks.ts";
import { toStoredText } from "./payloadText.ts";
import { checkpoints, payments } from "./readModelSchema.ts";
import { eventColumnsWithoutBody, events } from "./schema.ts";
import { drizzleStatement } from "./sqlText.ts";

const CHECKPOINT = "payments";

/**
 * A page's changed rows in one statement with one parameter, their JSON, rather than
 * eleven parameters a row: building and binding those was most of a rebuild's time.
 * Payload text is stored as the column's own mapping stores it (`toStoredText`), and
 * `knack_records` is a `json` column, which keeps the JSON text it is given.
 */
function upsertRows(rows: PaymentRow[]) {
	const records = rows.map((r) => ({
		citybase_id: r.citybaseId,
		app: r.app,
		invoice: toStoredText(r.invoice),
		latest_status: toStoredText(r.latestStatus),
		total_amount: r.totalAmount,
		knack_record_id: toStoredText(r.knackRecordId),
		parent_record_id: r.parentRecordId === null ? null : toStoredText(r.parentRecordId),
		knack_records: r.knackRecords,
		deliveries: r.deliveries,
		last_delivery_seq: r.lastDeliverySeq,
		updated_at: r.updatedAt,
		received_at: r.receivedAt,
		open_deliveries: r.open,
		stuck_since: r.stuckSince,
		stuck_status: r.stuckStatus === null ? null : toStoredText(r.stuckStatus),
		trouble: r.trouble,
		last_error: r.lastError,
	}));
	return sql`insert into payments (citybase_id, app, invoice, latest_status, total_amount, knack_record_id,
		parent_record_id, knack_records, deliveries, last_delivery_seq, updated_at, received_at, open_deliveries,
		stuck_since, stuck_status, trouble, last_error)
		select * from json_to_recordset(${JSON.stringify(records)}::json) as r(citybase_id int8, app text, invoice text,
			latest_status text, total_amount text, knack_record_id text, parent_record_id text, knack_records json,
			deliveries int8, last_delivery_seq int8, updated_at int8, received_at int8, open_deliveries json,
			stuck_since int8, stuck_status text, trouble text, last_error json)
		on conflict (citybase_id) do update set app = excluded.app, invoice = excluded.invoice,
			latest_status = excluded.latest_status, total_amount = excluded.total_amount,
			knack_record_id = excluded.knack_record_id, parent_record_id = excluded.parent_record_id,
			knack_records = excluded.knack_records, deliveries = excluded.deliveries,
			last_delivery_seq = excluded.last_delivery_seq, updated_at = excluded.updated_at,
			received_at = excluded.received_at, open_deliveries = excluded.open_deliveries,
			stuck_since = excluded.stuck_since, stuck_status = excluded.stuck_status, trouble = excluded.trouble,
			last_error = excluded.last_error`;
}

/** A page's new search keys in one statement: its one parameter the JSON of them. */
const insertKeys = (keys: SearchKey[]): Statement => [
	`insert into payment_keys (key, citybase_id, field) select r.key, r."citybaseId", r.field
	 from json_to_recordset(?::json) as r(key text, "citybaseId" int8, field text) on conflict do nothing`,
	[JSON.stringify(keys)],
];

/** The payments read model's table and checkpoint in the PostgreSQL database. */
export function createPostgresReadModelStore({ db }: OpenDatabase): ReadModelStore {
	return {
		async foldPage(pageSize, fold) {
			// The read model lock, not FOR UPDATE on the checkpoint: before the first fold there
			// is no checkpoint row to lock, and two instances would both fold the first page.
			return db.transaction(async (tx) => {
				await tx.execute(lockFor(Locks.readModel));
				const [checkpoint] = await tx.select().from(checkpoints).where(eq(checkpoints.name, CHECKPOINT));
				// Every column but the body: nothing is folded from one, and a page of them is megabytes sent for nothing.
				const page = await tx
					.select({ ...eventColumnsWithoutBody, body: sql<null>`null` })
					.from(events)
					.where(gt(events.seq, checkpoint?.position ?? 0))
					.orderBy(asc(events.seq))
					.limit(pageSize);
				if (page.length === 0) return 0;
				const ids = [...new Set(page.map((e) => e.citybaseId).filter((id): id is number => id !== null))];
				const loaded = new Map<number, PaymentRow>();
				if (ids.length > 0) {
					for (const row of await tx.select().from(payments).where(inArray(payments.citybaseId, ids))) {
						loaded.set(row.citybaseId, row);
					}
				}
				const rows = new Map(loaded);
				fold(
					page.map((e) => ({ ...e, type: e.type as EventType, data: e.data ?? null })),
					rows,
				);
				// The fold hands back the very row it was given when no event changed it.
				const changed = [...rows].filter(([id, row]) => loaded.get(id) !== row).map(([, row]) => row);
				if (changed.length > 0) await tx.execute(upsertRows(changed));
				for (const statement of indexStatements(indexChanges(loaded, changed), toStoredText, insertKeys)) {
					await tx.execute(drizzleStatement(statement));
				}
				const last = page.at(-1)?.seq ?? 0;
				await tx
					.insert(checkpoints)
					.values({ name: CHECKPOINT, position: last })
					.onConflictDoUpdate({ target: checkpoints.name, set: { position: last } });
				return page.length;
			});
		},
		async reset() {
			await db.transaction(async (tx) => {
				await tx.execute(lockFor(Locks.readModel));
				await tx.delete(payments);
				for (const statement of resetIndexStatements) await tx.execute(drizzleStatement(statement));
				await tx.delete(checkpoints).where(eq(checkpoints.name, CHECKPOINT));
			});
		},
		async get(citybaseId) {
			const [row] = await db.select().from(payments).where(eq(payments.citybaseId, citybaseId));
			return row ?? null;
		},
		async *rows() {
			let after = Number.MIN_SAFE_INTEGER;
			for (;;) {
				const page = await db
					.select()
					.from(payments)
					.where(gt(payments.citybaseId, after))
					.orderBy(asc(payments.citybaseId))
					.limit(5000);
				yield* page;
				if (page.length < 5000) return;
				after = (page.at(-1) as PaymentRow).citybaseId;
			}
		},
		async count() {
			return db.$count(payments);
		},
	};
}

import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { StoredEvent } from "../../events/types.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import type { ReadModelStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { toEvent } from "./eventStore.ts";
import { checkpoints, payments } from "./readModelSchema.ts";
import { events } from "./schema.ts";

const CHECKPOINT = "payments";

/** The payments read model's table and checkpoint in the SQLite file. */
export function createSqliteReadModelStore({ db }: OpenDatabase): ReadModelStore {
	const column = (name: string) => sql.raw(`excluded.${name}`);
	const upsert = db
		.insert(payments)
		.values({
			citybaseId: sql.placeholder("citybaseId"),
			app: sql.placeholder("app"),
			invoice: sql.placeholder("invoice"),
			latestStatus: sql.placeholder("latestStatus"),
			totalAmount: sql.placeholder("totalAmount"),
			knackRecordId: sql.placeholder("knackRecordId"),
			parentRecordId: sql.placeholder("parentRecordId"),
			knackRecords: sql.placeholder("knackRecords"),
			deliveries: sql.placeholder("deliveries"),
			lastDeliverySeq: sql.placeholder("lastDeliverySeq"),
			updatedAt: sql.placeholder("updatedAt"),
		})
		.onConflictDoUpdate({
			target: payments.citybaseId,
			set: {
				app: column("app"),
				invoice: column("invoice"),
				latestStatus: column("latest_status"),
				totalAmount: column("total_amount"),
				knackRecordId: column("knack_record_id"),
				parentRecordId: column("parent_record_id"),
				knackRecords: column("knack_records"),
				deliveries: column("deliveries"),
				lastDeliverySeq: column("last_delivery_seq"),
				updatedAt: column("updated_at"),
			},
		})
		.prepare();
	const selectPayment = db
		.select()
		.from(payments)
		.where(eq(payments.citybaseId, sql.placeholder("id")))
		.prepare();
	const selectPage = db
		.select()
		.from(events)
		.where(gt(events.seq, sql.placeholder("after")))
		.orderBy(asc(events.seq))
		.limit(sql.placeholder("limit"))
		.prepare();

	return {
		async foldPage(pageSize, fold) {
			// IMMEDIATE: the checkpoint is read under the write lock, so two processes never fold a page twice.
			return db.transaction(
				(tx) => {
					const after = tx.select().from(checkpoints).where(eq(checkpoints.name, CHECKPOINT)).get()?.position ?? 0;
					const page: StoredEvent[] = selectPage.all({ after, limit: pageSize }).map(toEvent);
					if (page.length === 0) return 0;
					const ids = [...new Set(page.map((e) => e.citybaseId).filter((id): id is number => id !== null))];
					const rows = new Map<number, PaymentRow>();
					if (ids.length > 0) {
						for (const row of tx.select().from(payments).where(inArray(payments.citybaseId, ids)).all()) {
							rows.set(row.citybaseId, row);
						}
					}
					fold(page, rows);
					for (const row of rows.values()) upsert.run(row);
					const last = (page.at(-1) as StoredEvent).seq;
					tx.insert(checkpoints)
						.values({ name: CHECKPOINT, position: last })
						.onConflictDoUpdate({ target: checkpoints.name, set: { position: last } })
						.run();
					return page.length;
				},
				{ behavior: "immediate" },
			);
		},
		async reset() {
			db.transaction((tx) => {
				tx.delete(payments).run();
				tx.delete(checkpoints).where(eq(checkpoints.name, CHECKPOINT)).run();
			});
		},
		async get(citybaseId) {
			return selectPayment.get({ id: citybaseId }) ?? null;
		},
		async *rows() {
			let after = Number.MIN_SAFE_INTEGER;
			for (;;) {
				const page = db
					.select()
					.from(payments)
					.where(gt(payments.citybaseId, after))
					.orderBy(asc(payments.citybaseId))
					.limit(5000)
					.all();
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

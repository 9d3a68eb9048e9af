import { asc, eq, getTableColumns, gt, inArray, sql } from "drizzle-orm";
import type { EventType } from "../../events/types.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import type { ReadModelStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { Locks, lockFor } from "./locks.ts";
import { checkpoints, payments } from "./readModelSchema.ts";
import { events } from "./schema.ts";

const CHECKPOINT = "payments";
const { body: _body, ...eventColumns } = getTableColumns(events);

/** The payments read model's table and checkpoint in the PostgreSQL database. */
export function createPostgresReadModelStore({ db }: OpenDatabase): ReadModelStore {
	const column = (name: string) => sql.raw(`excluded.${name}`);
	return {
		async foldPage(pageSize, fold) {
			// The read model lock, not FOR UPDATE on the checkpoint: before the first fold there
			// is no checkpoint row to lock, and two instances would both fold the first page.
			return db.transaction(async (tx) => {
				await tx.execute(lockFor(Locks.readModel));
				const [checkpoint] = await tx.select().from(checkpoints).where(eq(checkpoints.name, CHECKPOINT));
				// Every column but the body: nothing is folded from one, and a page of them is megabytes sent for nothing.
				const page = await tx
					.select({ ...eventColumns, body: sql<null>`null` })
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
				if (changed.length > 0) {
					await tx
						.insert(payments)
						.values(changed)
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
						});
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

import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { LastError, OpenDelivery, Trouble } from "../../projections/paymentRow.ts";

/**
 * The local read model: one row per CityBase payment, a fold over the event log.
 * It can be dropped and rebuilt at any time (`cli rebuild`); nothing else depends
 * on it being there.
 */
export const payments = sqliteTable(
	"payments",
	{
		citybaseId: integer("citybase_id").primaryKey(),
		app: text("app").notNull(),
		invoice: text("invoice").notNull(),
		latestStatus: text("latest_status").notNull(),
		totalAmount: text("total_amount").notNull(),
		knackRecordId: text("knack_record_id").notNull(),
		parentRecordId: text("parent_record_id"),
		/** Knack record ids written for this payment, by effect key */
		knackRecords: text("knack_records", { mode: "json" }).$type<Record<string, string | null>>().notNull(),
		deliveries: integer("deliveries").notNull(),
		lastDeliverySeq: integer("last_delivery_seq").notNull(),
		updatedAt: integer("updated_at").notNull(),
		receivedAt: integer("received_at").notNull().default(0),
		open: text("open_deliveries", { mode: "json" }).$type<OpenDelivery[]>().notNull().default(sql`'[]'`),
		stuckSince: integer("stuck_since"),
		stuckStatus: text("stuck_status"),
		trouble: text("trouble").$type<Trouble>(),
		lastError: text("last_error", { mode: "json" }).$type<LastError>(),
	},
	(t) => [
		// The Stuck page reads one range of it per (app, status, trouble) it shows, oldest first.
		index("payments_stuck")
			.on(t.app, t.stuckStatus, t.trouble, t.stuckSince, t.citybaseId)
			.where(sql`stuck_since is not null`),
		index("payments_recent").on(t.lastDeliverySeq),
	],
);

/** How far each read model has folded the log. */
export const checkpoints = sqliteTable("checkpoints", {
	name: text("name").primaryKey(),
	position: integer("position").notNull(),
});

/** How many payments are stuck, by (app, status, trouble): the Stuck page's counts without counting rows. */
export const stuckCounts = sqliteTable(
	"stuck_counts",
	{
		app: text("app").notNull(),
		status: text("status").notNull(),
		trouble: text("trouble").notNull(),
		n: integer("n").notNull(),
	},
	(t) => [primaryKey({ columns: [t.app, t.status, t.trouble] })],
);

/** Every payment's search keys, lower-cased (its id, invoice and Knack record ids): search is a range of this index. */
export const paymentKeys = sqliteTable(
	"payment_keys",
	{
		key: text("key").notNull(),
		citybaseId: integer("citybase_id").notNull(),
		field: text("field").notNull(),
	},
	(t) => [primaryKey({ columns: [t.key, t.citybaseId] })],
);

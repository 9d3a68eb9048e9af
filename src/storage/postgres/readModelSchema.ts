import { sql } from "drizzle-orm";
import { bigint, customType, index, json, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type { LastError, OpenDelivery, Trouble } from "../../projections/paymentRow.ts";
import { payloadText } from "./payloadText.ts";

const int64 = (name: string) => bigint(name, { mode: "number" });

/**
 * Text compared byte by byte whatever the database's collation: a search is a range of
 * keys that start with what was typed, which a language's collation (en_US ignores
 * punctuation at first) does not keep together.
 */
const byteText = customType<{ data: string; driverData: string }>({ dataType: () => 'text collate "C"' });

/** The payments read model and its checkpoint, as in the SQLite adapter: droppable, rebuilt from the log. */
export const payments = pgTable(
	"payments",
	{
		citybaseId: int64("citybase_id").primaryKey(),
		app: text("app").notNull(),
		invoice: payloadText("invoice").notNull(),
		latestStatus: payloadText("latest_status").notNull(),
		totalAmount: text("total_amount").notNull(),
		knackRecordId: payloadText("knack_record_id").notNull(),
		parentRecordId: payloadText("parent_record_id"),
		/** Knack record ids written for this payment, by effect key */
		knackRecords: json("knack_records").$type<Record<string, string | null>>().notNull(),
		deliveries: int64("deliveries").notNull(),
		lastDeliverySeq: int64("last_delivery_seq").notNull(),
		updatedAt: int64("updated_at").notNull(),
		receivedAt: int64("received_at").notNull().default(0),
		open: json("open_deliveries").$type<OpenDelivery[]>().notNull().default([]),
		stuckSince: int64("stuck_since"),
		stuckStatus: payloadText("stuck_status"),
		trouble: text("trouble").$type<Trouble>(),
		lastError: json("last_error").$type<LastError>(),
	},
	(t) => [
		// The Stuck page reads one range of it per (app, status, trouble) it shows, oldest first.
		index("payments_stuck")
			.on(t.app, t.stuckStatus, t.trouble, t.stuckSince, t.citybaseId)
			.where(sql`stuck_since is not null`),
		index("payments_recent").on(t.lastDeliverySeq),
	],
);

/** How far each read model has folded the log, and the operators' named cursors. */
export const checkpoints = pgTable("checkpoints", {
	name: text("name").primaryKey(),
	position: int64("position").notNull(),
});

/** How many payments are stuck, by (app, status, trouble), as in the SQLite adapter. */
export const stuckCounts = pgTable(
	"stuck_counts",
	{
		app: text("app").notNull(),
		status: payloadText("status").notNull(),
		trouble: text("trouble").notNull(),
		n: int64("n").notNull(),
	},
	(t) => [primaryKey({ columns: [t.app, t.status, t.trouble] })],
);

/** Every payment's search keys, lower-cased, as in the SQLite adapter; compared byte by byte. */
export const paymentKeys = pgTable(
	"payment_keys",
	{
		key: byteText("key").notNull(),
		citybaseId: int64("citybase_id").notNull(),
		field: text("field").notNull(),
	},
	(t) => [primaryKey({ columns: [t.key, t.citybaseId] })],
);

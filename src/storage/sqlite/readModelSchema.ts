import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The local read model: one row per CityBase payment, a fold over the event log.
 * It can be dropped and rebuilt at any time (`cli rebuild`); nothing else depends
 * on it being there.
 */
export const payments = sqliteTable("payments", {
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
});

/** How far each read model has folded the log. */
export const checkpoints = sqliteTable("checkpoints", {
	name: text("name").primaryKey(),
	position: integer("position").notNull(),
});

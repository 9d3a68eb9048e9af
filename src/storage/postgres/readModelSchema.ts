import { bigint, json, pgTable, text } from "drizzle-orm/pg-core";
import { payloadText } from "./payloadText.ts";

const int64 = (name: string) => bigint(name, { mode: "number" });

/** The payments read model and its checkpoint, as in the SQLite adapter: droppable, rebuilt from the log. */
export const payments = pgTable("payments", {
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
});

/** How far each read model has folded the log, and the operators' named cursors. */
export const checkpoints = pgTable("checkpoints", {
	name: text("name").primaryKey(),
	position: int64("position").notNull(),
});

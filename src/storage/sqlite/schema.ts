import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The event log. Append-only: migrations add triggers that refuse UPDATE and DELETE,
 * so nothing, not even a bug or an operator's SQL, can rewrite what happened.
 * `seq` is an INTEGER PRIMARY KEY: positions have no gaps for a single SQLite writer.
 */
export const events = sqliteTable(
	"events",
	{
		seq: integer("seq").primaryKey({ autoIncrement: true }),
		type: text("type").notNull(),
		recordedAt: integer("recorded_at").notNull(),
		/** the delivery (its `delivery.received` seq) this event belongs to; null on the delivery itself */
		deliverySeq: integer("delivery_seq"),
		citybaseId: integer("citybase_id"),
		paymentStatus: text("payment_status"),
		invoice: text("invoice"),
		effectKey: text("effect_key"),
		/** the exact bytes CityBase sent, on `delivery.received` only */
		body: blob("body", { mode: "buffer" }),
		data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
	},
	(t) => [
		index("events_citybase_id").on(t.citybaseId),
		index("events_invoice").on(t.invoice),
		// (delivery, type): finding a delivery's verdict must not scan every event of that type.
		index("events_delivery_seq_type").on(t.deliverySeq, t.type),
		index("events_type").on(t.type),
	],
);

/**
 * Who is projecting a (payment, status) right now. Coordination state, not history:
 * a row exists while a holder works and is deleted with the outcome it records. A row
 * whose lease ran out means its holder died mid-projection, so any insert it may have
 * sent has an unknown outcome.
 */
export const claims = sqliteTable("claims", {
	key: text("key").primaryKey(),
	holder: text("holder").notNull(),
	deliverySeq: integer("delivery_seq").notNull(),
	claimedAt: integer("claimed_at").notNull(),
	expiresAt: integer("expires_at").notNull(),
});

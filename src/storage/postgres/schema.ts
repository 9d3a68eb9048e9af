import { getTableColumns } from "drizzle-orm";
import { bigint, customType, index, json, pgTable, text } from "drizzle-orm/pg-core";
import { payloadText } from "./payloadText.ts";

/** The exact bytes CityBase sent; postgres.js reads bytea as a Buffer and writes one as is. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** Positions and times are 64-bit in the database; every one fits a JS number (< 2^53). */
const int64 = (name: string) => bigint(name, { mode: "number" });

/**
 * The event log, the same columns as the SQLite adapter's. Append-only: a migration
 * adds triggers that refuse UPDATE, DELETE and TRUNCATE. `seq` is not a sequence: a
 * sequence number is handed out at insert but seen at commit, so a reader could pass
 * a late-committing position and never see it (Marten's gap bug). Appends take the log
 * lock and write max(seq) + 1 instead (`groupCommit.ts`), so positions are gap-free and
 * commit in order. `data` is `json`, not `jsonb`: json keeps the text as written, so an
 * export reproduces it byte for byte and an import compares equal.
 */
export const events = pgTable(
	"events",
	{
		seq: int64("seq").primaryKey(),
		type: text("type").notNull(),
		recordedAt: int64("recorded_at").notNull(),
		/** the delivery (its `delivery.received` seq) this event belongs to; null on the delivery itself */
		deliverySeq: int64("delivery_seq"),
		citybaseId: int64("citybase_id"),
		paymentStatus: payloadText("payment_status"),
		invoice: payloadText("invoice"),
		effectKey: payloadText("effect_key"),
		body: bytea("body"),
		data: json("data").$type<Record<string, unknown>>(),
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
 * Who is projecting a (payment, status) right now: coordination state, not history
 * (see the SQLite adapter's `claims`). A row whose lease ran out means its holder died
 * mid-projection.
 */
export const claims = pgTable("claims", {
	key: payloadText("key").primaryKey(),
	holder: text("holder").notNull(),
	deliverySeq: int64("delivery_seq").notNull(),
	claimedAt: int64("claimed_at").notNull(),
	expiresAt: int64("expires_at").notNull(),
});

/** Every column of the log but the body: what a read that folds or lists events selects (a page of bodies is megabytes). */
export const eventColumnsWithoutBody = (({ body: _body, ...columns }) => columns)(getTableColumns(events));

import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The SQLite file's tables, from which drizzle-kit generates the migrations in drizzle/
 * (the statements the core runs are written in SQL, storage/*.ts).
 */

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
		data: text("data", { mode: "json" }),
	},
	(t) => [
		index("events_citybase_id").on(t.citybaseId),
		index("events_invoice").on(t.invoice),
		// (delivery, type): finding a delivery's verdict must not scan every event of that type.
		index("events_delivery_seq_type").on(t.deliverySeq, t.type),
		index("events_type").on(t.type),
	],
);

/** Who is projecting a (payment, status) right now: coordination state, not history (storage/claims.ts). */
export const claims = sqliteTable("claims", {
	key: text("key").primaryKey(),
	holder: text("holder").notNull(),
	deliverySeq: integer("delivery_seq").notNull(),
	claimedAt: integer("claimed_at").notNull(),
	expiresAt: integer("expires_at").notNull(),
});

/** The payments read model: one row per CityBase payment, a fold over the log, dropped and rebuilt at will. */
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
		knackRecords: text("knack_records", { mode: "json" }).notNull(),
		deliveries: integer("deliveries").notNull(),
		lastDeliverySeq: integer("last_delivery_seq").notNull(),
		updatedAt: integer("updated_at").notNull(),
		receivedAt: integer("received_at").notNull().default(0),
		/** its deliveries not finished in Knack (projections/paymentRow.ts), JSON */
		open: text("open_deliveries", { mode: "json" }).notNull().default(sql`'[]'`),
		stuckSince: integer("stuck_since"),
		stuckStatus: text("stuck_status"),
		trouble: text("trouble"),
		lastError: text("last_error", { mode: "json" }),
	},
	(t) => [
		// The Stuck page reads one range of it per (app, status, trouble) it shows, oldest first.
		index("payments_stuck")
			.on(t.app, t.stuckStatus, t.trouble, t.stuckSince, t.citybaseId)
			.where(sql`stuck_since is not null`),
		index("payments_recent").on(t.lastDeliverySeq),
	],
);

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

/** How far each read model has folded the log, and the operators' named cursors. */
export const checkpoints = sqliteTable("checkpoints", {
	name: text("name").primaryKey(),
	position: integer("position").notNull(),
});

/**
 * The Knack budget shared by every process on this file: coordination state, not
 * history. Grants older than a minute are pruned; the quota row holds Knack's last
 * headers per app.
 */
export const knackGrants = sqliteTable(
	"knack_grants",
	{
		id: integer("id").primaryKey({ autoIncrement: true }),
		app: text("app").notNull(),
		priority: text("priority").notNull(),
		at: real("at").notNull(),
	},
	(t) => [index("knack_grants_app_at").on(t.app, t.at)],
);

export const knackQuota = sqliteTable("knack_quota", {
	app: text("app").primaryKey(),
	planLimit: integer("plan_limit"),
	planRemaining: integer("plan_remaining"),
	planResetAt: real("plan_reset_at"),
	rateLimit: integer("rate_limit"),
	rateRemaining: integer("rate_remaining"),
	rateResetAt: real("rate_reset_at"),
	seenAt: real("seen_at").notNull(),
	grantedSince: integer("granted_since").notNull(),
});

/**
 * Console sign-ins shared by every process on this file: operational state, not history
 * (no event records them, no export carries them). Keyed by the SHA-256 of the session
 * id, never the id itself.
 */
export const consoleSessions = sqliteTable("console_sessions", {
	idHash: text("id_hash").primaryKey(),
	csrf: text("csrf").notNull(),
	name: text("name").notNull(),
	createdAt: integer("created_at").notNull(),
	lastSeen: integer("last_seen").notNull(),
});

/** The health probe's scratch row: inserted and deleted in one transaction, so it is never there (sqlStorage.ts). */
export const healthProbe = sqliteTable("health_probe", {
	at: integer("at").notNull(),
});

/** Operator jobs (Retry all shown): operational state, as sessions are; the audit of each is an event in the log. */
export const operatorJobs = sqliteTable(
	"operator_jobs",
	{
		id: text("id").primaryKey(),
		who: text("who").notNull(),
		by: text("by").notNull(),
		what: text("what").notNull(),
		payments: text("payments", { mode: "json" }).notNull(),
		createdAt: integer("created_at").notNull(),
		state: text("state").notNull(),
		results: text("results", { mode: "json" }).notNull(),
		note: text("note"),
		holder: text("holder"),
		leaseUntil: integer("lease_until").notNull(),
		auditFrom: integer("audit_from").notNull(),
		audited: integer("audited", { mode: "boolean" }).notNull(),
		finishedAt: integer("finished_at"),
	},
	(t) => [index("operator_jobs_created_at").on(t.createdAt)],
);

/** Which jobs cover a payment: its page names the retries of many payments it was part of. */
export const operatorJobPayments = sqliteTable(
	"operator_job_payments",
	{
		citybaseId: integer("citybase_id").notNull(),
		jobId: text("job_id").notNull(),
	},
	(t) => [primaryKey({ columns: [t.citybaseId, t.jobId] })],
);

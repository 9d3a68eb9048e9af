import { sql } from "drizzle-orm";
import {
	bigint,
	bigserial,
	boolean,
	customType,
	doublePrecision,
	index,
	integer,
	json,
	pgTable,
	primaryKey,
	text,
} from "drizzle-orm/pg-core";

/**
 * The PostgreSQL database's tables, the same as the SQLite file's (sqlite/schema.ts),
 * from which drizzle-kit generates the migrations in drizzle/pg. Text a postback
 * carried (payment status, invoice, effect and claim keys, Knack ids) is stored encoded
 * where PostgreSQL's text could not hold it (the dialect's `text` codec).
 */

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** Positions and times are 64-bit in the database; every one fits a JS number (< 2^53). */
const int64 = (name: string) => bigint(name, { mode: "number" });

/**
 * The event log. Append-only: a migration adds triggers that refuse UPDATE, DELETE and
 * TRUNCATE. `seq` is not a sequence: a sequence number is handed out at insert but seen
 * at commit, so a reader could pass a late-committing position and never see it
 * (Marten's gap bug). Appends take the log lock and write max(seq) + 1 instead
 * (storage/groupCommit.ts), so positions are gap-free and commit in order. `data` is
 * `json`, not `jsonb`: json keeps the text as written, so an export reproduces it byte
 * for byte and an import compares equal.
 */
export const events = pgTable(
	"events",
	{
		seq: int64("seq").primaryKey(),
		type: text("type").notNull(),
		recordedAt: int64("recorded_at").notNull(),
		deliverySeq: int64("delivery_seq"),
		citybaseId: int64("citybase_id"),
		paymentStatus: text("payment_status"),
		invoice: text("invoice"),
		effectKey: text("effect_key"),
		body: bytea("body"),
		data: json("data"),
	},
	(t) => [
		index("events_citybase_id").on(t.citybaseId),
		index("events_invoice").on(t.invoice),
		index("events_delivery_seq_type").on(t.deliverySeq, t.type),
		index("events_type").on(t.type),
	],
);

export const claims = pgTable("claims", {
	key: text("key").primaryKey(),
	holder: text("holder").notNull(),
	deliverySeq: int64("delivery_seq").notNull(),
	claimedAt: int64("claimed_at").notNull(),
	expiresAt: int64("expires_at").notNull(),
});

/**
 * Text compared byte by byte whatever the database's collation: a search is a range of
 * keys that start with what was typed, which a language's collation (en_US ignores
 * punctuation at first) does not keep together.
 */
const byteText = customType<{ data: string; driverData: string }>({ dataType: () => 'text collate "C"' });

export const payments = pgTable(
	"payments",
	{
		citybaseId: int64("citybase_id").primaryKey(),
		app: text("app").notNull(),
		invoice: text("invoice").notNull(),
		latestStatus: text("latest_status").notNull(),
		totalAmount: text("total_amount").notNull(),
		knackRecordId: text("knack_record_id").notNull(),
		parentRecordId: text("parent_record_id"),
		knackRecords: json("knack_records").notNull(),
		deliveries: int64("deliveries").notNull(),
		lastDeliverySeq: int64("last_delivery_seq").notNull(),
		updatedAt: int64("updated_at").notNull(),
		receivedAt: int64("received_at").notNull().default(0),
		open: json("open_deliveries").notNull().default([]),
		stuckSince: int64("stuck_since"),
		stuckStatus: text("stuck_status"),
		trouble: text("trouble"),
		lastError: json("last_error"),
	},
	(t) => [
		index("payments_stuck")
			.on(t.app, t.stuckStatus, t.trouble, t.stuckSince, t.citybaseId)
			.where(sql`stuck_since is not null`),
		index("payments_recent").on(t.lastDeliverySeq),
	],
);

export const stuckCounts = pgTable(
	"stuck_counts",
	{
		app: text("app").notNull(),
		status: text("status").notNull(),
		trouble: text("trouble").notNull(),
		n: int64("n").notNull(),
	},
	(t) => [primaryKey({ columns: [t.app, t.status, t.trouble] })],
);

export const paymentKeys = pgTable(
	"payment_keys",
	{
		key: byteText("key").notNull(),
		citybaseId: int64("citybase_id").notNull(),
		field: text("field").notNull(),
	},
	(t) => [primaryKey({ columns: [t.key, t.citybaseId] })],
);

export const checkpoints = pgTable("checkpoints", {
	name: text("name").primaryKey(),
	position: int64("position").notNull(),
});

/** Times are double precision, as SQLite's `real`: the budget's clock need not be whole milliseconds. */
export const knackGrants = pgTable(
	"knack_grants",
	{
		id: bigserial("id", { mode: "number" }).primaryKey(),
		app: text("app").notNull(),
		priority: text("priority").notNull(),
		at: doublePrecision("at").notNull(),
	},
	(t) => [index("knack_grants_app_at").on(t.app, t.at)],
);

export const knackQuota = pgTable("knack_quota", {
	app: text("app").primaryKey(),
	planLimit: integer("plan_limit"),
	planRemaining: integer("plan_remaining"),
	planResetAt: doublePrecision("plan_reset_at"),
	rateLimit: integer("rate_limit"),
	rateRemaining: integer("rate_remaining"),
	rateResetAt: doublePrecision("rate_reset_at"),
	seenAt: doublePrecision("seen_at").notNull(),
	grantedSince: integer("granted_since").notNull(),
});

export const consoleSessions = pgTable("console_sessions", {
	idHash: text("id_hash").primaryKey(),
	csrf: text("csrf").notNull(),
	name: text("name").notNull(),
	createdAt: int64("created_at").notNull(),
	lastSeen: int64("last_seen").notNull(),
});

export const healthProbe = pgTable("health_probe", {
	at: int64("at").notNull(),
});

export const operatorJobs = pgTable(
	"operator_jobs",
	{
		id: text("id").primaryKey(),
		who: text("who").notNull(),
		by: text("by").notNull(),
		what: text("what").notNull(),
		payments: json("payments").notNull(),
		createdAt: int64("created_at").notNull(),
		state: text("state").notNull(),
		results: json("results").notNull(),
		note: text("note"),
		holder: text("holder"),
		leaseUntil: int64("lease_until").notNull(),
		auditFrom: int64("audit_from").notNull(),
		audited: boolean("audited").notNull(),
		finishedAt: int64("finished_at"),
	},
	(t) => [index("operator_jobs_created_at").on(t.createdAt)],
);

export const operatorJobPayments = pgTable(
	"operator_job_payments",
	{
		citybaseId: int64("citybase_id").notNull(),
		jobId: text("job_id").notNull(),
	},
	(t) => [primaryKey({ columns: [t.citybaseId, t.jobId] })],
);

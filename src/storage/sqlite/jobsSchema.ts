import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { JobResult } from "../storage.ts";

/** Operator jobs (Retry all shown): operational state, as sessions are; the audit of each is an event in the log. */
export const operatorJobs = sqliteTable(
	"operator_jobs",
	{
		id: text("id").primaryKey(),
		who: text("who").notNull(),
		by: text("by").$type<"console" | "cli">().notNull(),
		what: text("what").notNull(),
		payments: text("payments", { mode: "json" }).$type<number[]>().notNull(),
		createdAt: integer("created_at").notNull(),
		state: text("state").$type<"running" | "finished" | "stopped">().notNull(),
		results: text("results", { mode: "json" }).$type<Record<string, JobResult>>().notNull(),
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

import { bigint, boolean, index, json, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import type { JobResult } from "../storage.ts";

const int64 = (name: string) => bigint(name, { mode: "number" });

/** Operator jobs (Retry all shown), as in the SQLite adapter: operational state shared by every instance. */
export const operatorJobs = pgTable(
	"operator_jobs",
	{
		id: text("id").primaryKey(),
		who: text("who").notNull(),
		by: text("by").$type<"console" | "cli">().notNull(),
		what: text("what").notNull(),
		payments: json("payments").$type<number[]>().notNull(),
		createdAt: int64("created_at").notNull(),
		state: text("state").$type<"running" | "finished" | "stopped">().notNull(),
		results: json("results").$type<Record<string, JobResult>>().notNull(),
		note: text("note"),
		holder: text("holder"),
		leaseUntil: int64("lease_until").notNull(),
		auditFrom: int64("audit_from").notNull(),
		audited: boolean("audited").notNull(),
		finishedAt: int64("finished_at"),
	},
	(t) => [index("operator_jobs_created_at").on(t.createdAt)],
);

/** Which jobs cover a payment, as in the SQLite adapter. */
export const operatorJobPayments = pgTable(
	"operator_job_payments",
	{
		citybaseId: int64("citybase_id").notNull(),
		jobId: text("job_id").notNull(),
	},
	(t) => [primaryKey({ columns: [t.citybaseId, t.jobId] })],
);

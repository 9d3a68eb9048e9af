-- The payments read model gains the columns the Stuck page and search read, and two tables kept
-- beside it: it is emptied here, so the service folds the whole log into it again as it starts
-- (the read model is a fold of the log, dropped and rebuilt at will; docs/RUNBOOK.md).
DELETE FROM "payments";--> statement-breakpoint
DELETE FROM "checkpoints" WHERE "name" = 'payments';--> statement-breakpoint
CREATE TABLE "operator_job_payments" (
	"citybase_id" bigint NOT NULL,
	"job_id" text NOT NULL,
	CONSTRAINT "operator_job_payments_citybase_id_job_id_pk" PRIMARY KEY("citybase_id","job_id")
);
--> statement-breakpoint
CREATE TABLE "operator_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"who" text NOT NULL,
	"by" text NOT NULL,
	"what" text NOT NULL,
	"payments" json NOT NULL,
	"created_at" bigint NOT NULL,
	"state" text NOT NULL,
	"results" json NOT NULL,
	"note" text,
	"holder" text,
	"lease_until" bigint NOT NULL,
	"audit_from" bigint NOT NULL,
	"audited" boolean NOT NULL,
	"finished_at" bigint
);
--> statement-breakpoint
CREATE TABLE "payment_keys" (
	"key" text collate "C" NOT NULL,
	"citybase_id" bigint NOT NULL,
	"field" text NOT NULL,
	CONSTRAINT "payment_keys_key_citybase_id_pk" PRIMARY KEY("key","citybase_id")
);
--> statement-breakpoint
CREATE TABLE "stuck_counts" (
	"app" text NOT NULL,
	"status" text NOT NULL,
	"trouble" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stuck_counts_app_status_trouble_pk" PRIMARY KEY("app","status","trouble")
);
--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "received_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "open_deliveries" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "stuck_since" bigint;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "stuck_status" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "trouble" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "last_error" json;--> statement-breakpoint
CREATE INDEX "operator_jobs_created_at" ON "operator_jobs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "payments_stuck" ON "payments" USING btree ("app","stuck_status","trouble","stuck_since","citybase_id") WHERE stuck_since is not null;--> statement-breakpoint
CREATE INDEX "payments_recent" ON "payments" USING btree ("last_delivery_seq");
CREATE TABLE "claims" (
	"key" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"delivery_seq" bigint NOT NULL,
	"claimed_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"recorded_at" bigint NOT NULL,
	"delivery_seq" bigint,
	"citybase_id" bigint,
	"payment_status" text,
	"invoice" text,
	"effect_key" text,
	"body" "bytea",
	"data" json
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"citybase_id" bigint PRIMARY KEY NOT NULL,
	"app" text NOT NULL,
	"invoice" text NOT NULL,
	"latest_status" text NOT NULL,
	"total_amount" text NOT NULL,
	"knack_record_id" text NOT NULL,
	"parent_record_id" text,
	"knack_records" json NOT NULL,
	"deliveries" bigint NOT NULL,
	"last_delivery_seq" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_citybase_id" ON "events" USING btree ("citybase_id");--> statement-breakpoint
CREATE INDEX "events_invoice" ON "events" USING btree ("invoice");--> statement-breakpoint
CREATE INDEX "events_delivery_seq_type" ON "events" USING btree ("delivery_seq","type");--> statement-breakpoint
CREATE INDEX "events_type" ON "events" USING btree ("type");
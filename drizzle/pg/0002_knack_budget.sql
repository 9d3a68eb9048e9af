CREATE TABLE "knack_grants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"app" text NOT NULL,
	"priority" text NOT NULL,
	"at" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "knack_quota" (
	"app" text PRIMARY KEY NOT NULL,
	"plan_limit" integer,
	"plan_remaining" integer,
	"plan_reset_at" double precision,
	"rate_limit" integer,
	"rate_remaining" integer,
	"rate_reset_at" double precision,
	"seen_at" double precision NOT NULL,
	"granted_since" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "knack_grants_app_at" ON "knack_grants" USING btree ("app","at");
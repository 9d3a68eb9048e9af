CREATE TABLE "console_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"csrf" text NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seen" bigint NOT NULL
);

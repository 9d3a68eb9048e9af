CREATE TABLE `knack_grants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`app` text NOT NULL,
	`priority` text NOT NULL,
	`at` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `knack_grants_app_at` ON `knack_grants` (`app`,`at`);--> statement-breakpoint
CREATE TABLE `knack_quota` (
	`app` text PRIMARY KEY NOT NULL,
	`plan_limit` integer,
	`plan_remaining` integer,
	`plan_reset_at` real,
	`rate_limit` integer,
	`rate_remaining` integer,
	`rate_reset_at` real,
	`seen_at` real NOT NULL,
	`granted_since` integer NOT NULL
);

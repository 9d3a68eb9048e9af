-- The payments read model gains the columns the Stuck page and search read, and two tables kept
-- beside it: it is emptied here, so the service folds the whole log into it again as it starts
-- (the read model is a fold of the log, dropped and rebuilt at will; docs/RUNBOOK.md).
DELETE FROM `payments`;--> statement-breakpoint
DELETE FROM `checkpoints` WHERE `name` = 'payments';--> statement-breakpoint
CREATE TABLE `operator_job_payments` (
	`citybase_id` integer NOT NULL,
	`job_id` text NOT NULL,
	PRIMARY KEY(`citybase_id`, `job_id`)
);
--> statement-breakpoint
CREATE TABLE `operator_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`who` text NOT NULL,
	`by` text NOT NULL,
	`what` text NOT NULL,
	`payments` text NOT NULL,
	`created_at` integer NOT NULL,
	`state` text NOT NULL,
	`results` text NOT NULL,
	`note` text,
	`holder` text,
	`lease_until` integer NOT NULL,
	`audit_from` integer NOT NULL,
	`audited` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `operator_jobs_created_at` ON `operator_jobs` (`created_at`);--> statement-breakpoint
CREATE TABLE `payment_keys` (
	`key` text NOT NULL,
	`citybase_id` integer NOT NULL,
	`field` text NOT NULL,
	PRIMARY KEY(`key`, `citybase_id`)
);
--> statement-breakpoint
CREATE TABLE `stuck_counts` (
	`app` text NOT NULL,
	`status` text NOT NULL,
	`trouble` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`app`, `status`, `trouble`)
);
--> statement-breakpoint
ALTER TABLE `payments` ADD `received_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `payments` ADD `open_deliveries` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `payments` ADD `stuck_since` integer;--> statement-breakpoint
ALTER TABLE `payments` ADD `stuck_status` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `trouble` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `last_error` text;--> statement-breakpoint
CREATE INDEX `payments_stuck` ON `payments` (`app`,`stuck_status`,`trouble`,`stuck_since`,`citybase_id`) WHERE stuck_since is not null;--> statement-breakpoint
CREATE INDEX `payments_recent` ON `payments` (`last_delivery_seq`);
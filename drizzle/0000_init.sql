CREATE TABLE `claims` (
	`key` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`delivery_seq` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`recorded_at` integer NOT NULL,
	`delivery_seq` integer,
	`citybase_id` integer,
	`payment_status` text,
	`invoice` text,
	`effect_key` text,
	`body` blob,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `events_citybase_id` ON `events` (`citybase_id`);--> statement-breakpoint
CREATE INDEX `events_invoice` ON `events` (`invoice`);--> statement-breakpoint
CREATE INDEX `events_delivery_seq` ON `events` (`delivery_seq`);--> statement-breakpoint
CREATE INDEX `events_effect_key` ON `events` (`effect_key`);--> statement-breakpoint
CREATE INDEX `events_type` ON `events` (`type`);--> statement-breakpoint
CREATE TABLE `checkpoints` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`citybase_id` integer PRIMARY KEY NOT NULL,
	`app` text NOT NULL,
	`invoice` text NOT NULL,
	`latest_status` text NOT NULL,
	`total_amount` text NOT NULL,
	`knack_record_id` text NOT NULL,
	`parent_record_id` text,
	`knack_records` text NOT NULL,
	`deliveries` integer NOT NULL,
	`last_delivery_seq` integer NOT NULL,
	`updated_at` integer NOT NULL
);

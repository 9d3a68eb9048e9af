DROP INDEX `events_delivery_seq`;--> statement-breakpoint
CREATE INDEX `events_delivery_seq_type` ON `events` (`delivery_seq`,`type`);
-- The event log is append-only: history is never rewritten, by code or by hand.
-- A statement-level trigger catches TRUNCATE, which row triggers never see.
CREATE FUNCTION "events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "events_no_update_or_delete" BEFORE UPDATE OR DELETE ON "events"
	FOR EACH ROW EXECUTE FUNCTION "events_append_only"();
--> statement-breakpoint
CREATE TRIGGER "events_no_truncate" BEFORE TRUNCATE ON "events"
	FOR EACH STATEMENT EXECUTE FUNCTION "events_append_only"();

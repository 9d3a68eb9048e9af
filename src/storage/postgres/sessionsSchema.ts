import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/**
 * Console sign-ins shared by every instance on this database, the same columns as the
 * SQLite adapter's: operational state, not history (no event records them, no export
 * carries them). Keyed by the SHA-256 of the session id, never the id itself.
 */
export const consoleSessions = pgTable("console_sessions", {
	idHash: text("id_hash").primaryKey(),
	csrf: text("csrf").notNull(),
	name: text("name").notNull(),
	createdAt: bigint("created_at", { mode: "number" }).notNull(),
	lastSeen: bigint("last_seen", { mode: "number" }).notNull(),
});

import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Console sign-ins shared by every process on this file: operational state, not history
 * (no event records them, no export carries them). Keyed by the SHA-256 of the session
 * id, never the id itself. Few rows at any time, so pruning reads them all.
 */
export const consoleSessions = sqliteTable("console_sessions", {
	idHash: text("id_hash").primaryKey(),
	csrf: text("csrf").notNull(),
	name: text("name").notNull(),
	createdAt: integer("created_at").notNull(),
	lastSeen: integer("last_seen").notNull(),
});

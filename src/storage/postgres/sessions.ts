import { and, eq, lt, or } from "drizzle-orm";
import type { ConsoleSessionStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { consoleSessions } from "./sessionsSchema.ts";

/** Console sign-ins in the PostgreSQL database, shared by every instance on it. */
export function createPostgresSessionStore({ db }: OpenDatabase): ConsoleSessionStore {
	return {
		async create(session) {
			await db.insert(consoleSessions).values(session);
		},
		async get(idHash) {
			const [row] = await db.select().from(consoleSessions).where(eq(consoleSessions.idHash, idHash));
			return row ?? null;
		},
		async touch(idHash, at) {
			await db
				.update(consoleSessions)
				.set({ lastSeen: at })
				.where(and(eq(consoleSessions.idHash, idHash), lt(consoleSessions.lastSeen, at)));
		},
		async delete(idHash) {
			await db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
		},
		async prune(lastSeenBefore, createdBefore) {
			const dropped = await db
				.delete(consoleSessions)
				.where(or(lt(consoleSessions.lastSeen, lastSeenBefore), lt(consoleSessions.createdAt, createdBefore)))
				.returning({ idHash: consoleSessions.idHash });
			return dropped.length;
		},
	};
}

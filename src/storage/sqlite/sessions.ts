import { and, eq, lt, or } from "drizzle-orm";
import type { ConsoleSessionStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { consoleSessions } from "./sessionsSchema.ts";

/** Console sign-ins in the SQLite file, written durably like everything else on its connection. */
export function createSqliteSessionStore({ db }: OpenDatabase): ConsoleSessionStore {
	return {
		async create(session) {
			db.insert(consoleSessions).values(session).run();
		},
		async get(idHash) {
			return db.select().from(consoleSessions).where(eq(consoleSessions.idHash, idHash)).get() ?? null;
		},
		async touch(idHash, at) {
			db.update(consoleSessions)
				.set({ lastSeen: at })
				.where(and(eq(consoleSessions.idHash, idHash), lt(consoleSessions.lastSeen, at)))
				.run();
		},
		async delete(idHash) {
			db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash)).run();
		},
		async prune(lastSeenBefore, createdBefore) {
			return db
				.delete(consoleSessions)
				.where(or(lt(consoleSessions.lastSeen, lastSeenBefore), lt(consoleSessions.createdAt, createdBefore)))
				.returning({ idHash: consoleSessions.idHash })
				.all().length;
		},
	};
}

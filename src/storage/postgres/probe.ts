import { eq } from "drizzle-orm";
import type { StoreProbe } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { claims } from "./schema.ts";

/**
 * The health probe of the PostgreSQL store. The write inserts a claim row and deletes it
 * in one transaction: having written, it commits a real transaction, flushed as a
 * postback's is (synchronous_commit=on), so a server that cannot write, a read-only role
 * or a lost connection fails it as it would fail a postback, yet nothing is left behind.
 * It does not take the log lock: it proves the database writes, not that the log is free.
 * The key cannot collide with a real claim, which is named after a payment.
 */
const PROBE_KEY = "health-probe";

export function createPostgresProbe({ db }: OpenDatabase): StoreProbe {
	return {
		write: () =>
			db.transaction(async (tx) => {
				await tx
					.insert(claims)
					.values({ key: PROBE_KEY, holder: PROBE_KEY, deliverySeq: 0, claimedAt: 0, expiresAt: 0 })
					.onConflictDoNothing();
				await tx.delete(claims).where(eq(claims.key, PROBE_KEY));
			}),
		// The disk is the server's, out of this process's sight.
		freeBytes: async () => null,
	};
}

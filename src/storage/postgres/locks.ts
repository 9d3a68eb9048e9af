import { sql } from "drizzle-orm";

/**
 * The adapter's transaction-level advisory locks: (class, object) pairs, released by
 * the commit or rollback itself, so a crashed holder never keeps one. The class is
 * this service's ("CBSE"), so another application on the same database cannot collide.
 */
const LOCK_CLASS = 0x43425345;

export const Locks = {
	/** reading drizzle's ledger and applying migrations: several instances may start at once */
	migrate: 1,
	/** the log's head: one appender at a time, so positions are gap-free and commit in order */
	log: 2,
	/** the read model's checkpoint: two catch-ups never fold one page twice */
	readModel: 3,
} as const;

export const lockFor = (lock: (typeof Locks)[keyof typeof Locks]) =>
	sql`select pg_advisory_xact_lock(${sql.raw(String(LOCK_CLASS))}, ${sql.raw(String(lock))})`;

/**
 * One app's Knack budget: takers of the same app wait for each other, on whichever host
 * they run, so two never both see the last slot free. A single 64-bit key, a key space
 * apart from the (class, object) pairs above.
 */
export const budgetLockFor = (app: string) => sql`select pg_advisory_xact_lock(hashtext(${`knack-budget:${app}`}))`;

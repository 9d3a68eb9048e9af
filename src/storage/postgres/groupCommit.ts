import { sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { Locks, lockFor } from "./locks.ts";
import { events } from "./schema.ts";

/**
 * Group commit with gap-free positions. Every write to the log goes through here: the
 * writes asked for while a commit is in flight are committed together in the next
 * transaction, so one commit flush serves every postback that arrived meanwhile, and
 * each caller still learns of its own write only once it is durable.
 *
 * The transaction first takes the log lock, then reads the head (max(seq)) and hands
 * out head + 1, head + 2, ... Another instance's appender waits on the lock until this
 * commit is visible, so positions have no gaps and commit in position order: a reader
 * that has seen position n has seen everything below it (no Marten gap). Each write
 * runs in its own savepoint when it shares the transaction, so a failing one rolls
 * back only itself (and gives its positions back).
 */
export type Transaction = Parameters<Parameters<PostgresJsDatabase["transaction"]>[0]>[0];
export type NewEvent = Omit<typeof events.$inferInsert, "seq">;

export interface LogAppender {
	/**
	 * Queues the event in this write and answers its position. Given a function, the
	 * event is made from its position: a sealed body binds the position it is stored at.
	 */
	append(event: NewEvent | ((seq: number) => NewEvent)): number;
}

type Work<T> = (log: LogAppender, tx: Transaction) => T | Promise<T>;

interface Pending {
	work: Work<unknown>;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
}

export interface GroupCommitter {
	write<T>(work: Work<T>): Promise<T>;
}

export function createGroupCommitter(db: PostgresJsDatabase): GroupCommitter {
	let queue: Pending[] = [];
	let flushing = false;

	async function flush() {
		while (queue.length > 0) {
			const batch = queue;
			queue = [];
			const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
			try {
				await db.transaction(async (tx) => {
					await tx.execute(lockFor(Locks.log));
					const [row] = await tx
						.select({ head: sql<number>`coalesce(max(${events.seq}), 0)`.mapWith(Number) })
						.from(events);
					let head = row?.head ?? 0;
					for (const entry of batch) {
						try {
							// Alone in its transaction, a write needs no savepoint: the rollback is its own.
							const run = (scope: Transaction) => perform(scope, entry.work, head);
							const done = batch.length === 1 ? await run(tx) : await tx.transaction(run);
							head = done.head;
							results.push({ ok: true, value: done.value });
						} catch (error) {
							if (batch.length === 1) throw error;
							results.push({ ok: false, error });
						}
					}
				});
			} catch (error) {
				for (const entry of batch) entry.reject(error);
				continue;
			}
			batch.forEach((entry, i) => {
				const result = results[i];
				if (result?.ok) entry.resolve(result.value);
				else entry.reject(result?.error);
			});
		}
		flushing = false;
	}

	return {
		write<T>(work: Work<T>): Promise<T> {
			return new Promise<T>((resolve, reject) => {
				queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
				if (!flushing) {
					flushing = true;
					setImmediate(flush);
				}
			});
		},
	};
}

/** Runs one write, then inserts its events in one statement; answers the head after it. */
async function perform(tx: Transaction, work: Work<unknown>, head: number): Promise<{ value: unknown; head: number }> {
	const rows: (typeof events.$inferInsert)[] = [];
	let next = head;
	const value = await work(
		{
			append(event) {
				next += 1;
				rows.push({ ...(typeof event === "function" ? event(next) : event), seq: next });
				return next;
			},
		},
		tx,
	);
	if (rows.length > 0) await tx.insert(events).values(rows);
	return { value, head: next };
}

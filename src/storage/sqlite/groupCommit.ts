import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";

/**
 * Group commit: the writes asked for while the event loop is busy are committed
 * together in one IMMEDIATE transaction at the next turn, so one fsync
 * (`synchronous=FULL`) serves every postback that arrived together, while each
 * caller still learns of its own write only once it is durable. Each write runs in
 * its own savepoint, so one failing write rolls back only itself.
 */
type Transaction = Parameters<Parameters<BunSQLiteDatabase["transaction"]>[0]>[0];

interface Pending {
	work: (tx: Transaction) => unknown;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
}

export interface GroupCommitter {
	write<T>(work: (tx: Transaction) => T): Promise<T>;
}

export function createGroupCommitter(db: BunSQLiteDatabase): GroupCommitter {
	let queue: Pending[] = [];

	function flush() {
		const batch = queue;
		queue = [];
		const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
		try {
			db.transaction(
				(tx) => {
					for (const entry of batch) {
						try {
							results.push({ ok: true, value: tx.transaction((savepoint) => entry.work(savepoint)) });
						} catch (error) {
							results.push({ ok: false, error });
						}
					}
				},
				{ behavior: "immediate" },
			);
		} catch (error) {
			for (const entry of batch) entry.reject(error);
			return;
		}
		batch.forEach((entry, i) => {
			const result = results[i];
			if (result?.ok) entry.resolve(result.value);
			else entry.reject(result?.error);
		});
	}

	return {
		write<T>(work: (tx: Transaction) => T): Promise<T> {
			return new Promise<T>((resolve, reject) => {
				if (queue.length === 0) setImmediate(flush);
				queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
			});
		},
	};
}

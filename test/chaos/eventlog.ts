import { EventTypes, finishingTypes } from "../../src/events/types.ts";
import { openStorage, type StorageConfig } from "../../src/storage/open.ts";
import type { Storage } from "../../src/storage/storage.ts";

/**
 * The servers' shared event log, read from outside through the storage interface while
 * they run: has every delivery been applied, and what did the projector have to do to
 * get there. Counted from the events themselves, not from the store's own totals, so a
 * store that miscounts cannot pass the chaos check.
 */
export interface LogCounts {
	received: number;
	accepted: number;
	incomplete: number;
	deadLettered: number;
	claims: number;
	/** Knack writes that succeeded, and inserts an earlier, unanswered attempt had already made */
	written: number;
	foundByLookup: number;
	failedAttempts: number;
}

async function withStorage<T>(store: StorageConfig, read: (storage: Storage) => Promise<T>): Promise<T> {
	const storage = await openStorage(store);
	try {
		return await read(storage);
	} finally {
		await storage.close();
	}
}

export function readLog(store: StorageConfig): Promise<LogCounts> {
	return withStorage(store, async (storage) => {
		const counts: LogCounts = {
			received: 0,
			accepted: 0,
			incomplete: 0,
			deadLettered: 0,
			claims: (await storage.queries.currentClaims()).size,
			written: 0,
			foundByLookup: 0,
			failedAttempts: 0,
		};
		const accepted = new Set<number>();
		const finished = new Set<number>();
		const finishing: readonly string[] = finishingTypes;
		for await (const e of storage.events.range(1, await storage.events.lastSeq())) {
			if (e.type === EventTypes.received) counts.received++;
			else if (e.type === EventTypes.accepted) accepted.add(e.deliverySeq as number);
			else if (e.type === EventTypes.effectFailed) counts.failedAttempts++;
			else if (e.type === EventTypes.effectSucceeded) {
				if (e.data.via === "call") counts.written++;
				else counts.foundByLookup++;
			}
			if (e.type === EventTypes.deadLettered) counts.deadLettered++;
			if (finishing.includes(e.type)) finished.add(e.deliverySeq as number);
		}
		counts.accepted = accepted.size;
		counts.incomplete = [...accepted].filter((seq) => !finished.has(seq)).length;
		return counts;
	});
}

/** Claims held by a process (holders are named `<pid>-...`): what a killed server left for others to take over. */
export function claimsHeldBy(store: StorageConfig, pid: number): Promise<number> {
	return withStorage(store, async (storage) => {
		const claims = [...(await storage.queries.currentClaims()).values()];
		return claims.filter((c) => c.holder.startsWith(`${pid}-`)).length;
	});
}

/** Waits until recovery has finished every delivery and no claim is held; the last counts either way. */
export async function waitForRecovery(store: StorageConfig, timeoutMs: number): Promise<LogCounts> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const counts = await readLog(store);
		if ((counts.incomplete === 0 && counts.claims === 0) || Date.now() >= until) return counts;
		await Bun.sleep(250);
	}
}

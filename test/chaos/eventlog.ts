import { Database } from "bun:sqlite";
import { EventTypes } from "../../src/events/types.ts";

/**
 * The servers' shared event log, read from outside (read-only) while they run: has
 * every delivery been applied, and what did the projector have to do to get there.
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

function count(db: Database, where: string, ...params: string[]): number {
	const row = db.query<{ n: number }, string[]>(`select count(*) as n from events where ${where}`).get(...params);
	return row?.n ?? 0;
}

export function readLog(path: string): LogCounts {
	const db = new Database(path, { readonly: true });
	try {
		const finished = `select delivery_seq from events where type in ('${EventTypes.applied}', '${EventTypes.deadLettered}')`;
		const claims = db.query<{ n: number }, []>("select count(*) as n from claims").get();
		return {
			received: count(db, "type = ?", EventTypes.received),
			accepted: count(db, "type = ?", EventTypes.accepted),
			incomplete: count(db, `type = ? and delivery_seq not in (${finished})`, EventTypes.accepted),
			deadLettered: count(db, "type = ?", EventTypes.deadLettered),
			claims: claims?.n ?? 0,
			written: count(db, "type = ? and json_extract(data, '$.via') = 'call'", EventTypes.effectSucceeded),
			foundByLookup: count(db, "type = ? and json_extract(data, '$.via') = 'lookup'", EventTypes.effectSucceeded),
			failedAttempts: count(db, "type = ?", EventTypes.effectFailed),
		};
	} finally {
		db.close();
	}
}

/** Claims held by a process (holders are named `<pid>-...`): what a killed server left for others to take over. */
export function claimsHeldBy(path: string, pid: number): number {
	const db = new Database(path, { readonly: true });
	try {
		const row = db
			.query<{ n: number }, [string]>("select count(*) as n from claims where holder like ?")
			.get(`${pid}-%`);
		return row?.n ?? 0;
	} finally {
		db.close();
	}
}

/** Waits until recovery has finished every delivery and no claim is held; the last counts either way. */
export async function waitForRecovery(path: string, timeoutMs: number): Promise<LogCounts> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const counts = readLog(path);
		if ((counts.incomplete === 0 && counts.claims === 0) || Date.now() >= until) return counts;
		await Bun.sleep(250);
	}
}

import { bodyProtection, encryptBodySync } from "../events/bodyCipher.ts";
import type { Keyring } from "../events/bodyKeys.ts";
import { decodeTexts, eventColumns, pages } from "./eventLog.ts";
import { difference, differenceOpened } from "./exportFormat.ts";
import { insertEvents } from "./groupCommit.ts";
import { type Dialect, type Executor, lock, query } from "./sql.ts";
import { type ImportedEvent, type Importer, type LogTransfer, TransferError } from "./storage.ts";

/** Reads events as exported: every column, `data` as the JSON text stored. */
function exported(reader: Pick<Executor, "query">, d: Dialect) {
	const select = `select ${eventColumns(d)} from events where `;
	return async (where: string, ...params: unknown[]) =>
		(await reader.query<ImportedEvent>(select + where, ...params)).map((row) => decodeTexts(d, row));
}

/** The log from `since` on, a page at a time, as the export writes it. */
export function exportedEvents(
	reader: Pick<Executor, "query">,
	d: Dialect,
	since: number,
	pageSize: number,
): AsyncGenerator<ImportedEvent> {
	const read = exported(reader, d);
	const from = Math.max(since, Number.MIN_SAFE_INTEGER);
	return pages(
		0,
		pageSize,
		(after) => read("seq > ? and recorded_at >= ? order by seq limit ?", after, from, pageSize),
		(e) => e.seq,
	);
}

/** The log in and out of the store; a backup is the dialect's own. */
export function createTransfer(
	exec: Executor,
	d: Dialect,
	keyring: Keyring | null,
	backup: LogTransfer["backup"],
): LogTransfer {
	return {
		events: ({ since = Number.NEGATIVE_INFINITY, pageSize = 2000 } = {}) => exportedEvents(exec, d, since, pageSize),
		importer: () => createImporter(exec, d, keyring),
		backup,
	};
}

/**
 * With keys, a body that comes in clear (from a log written before encryption) is sealed
 * with the current key at its own position, so a store with keys holds no body in clear:
 * that is how an old log moves into an encrypted store. A sealed body is kept as it is;
 * its position is kept too, so the keys that sealed it still open it.
 */
function createImporter(exec: Executor, d: Dialect, keyring: Keyring | null): Importer {
	const read = exported(exec, d);
	const conflict = (event: ImportedEvent, lineNumber: number, differs: string) =>
		new TransferError(
			`line ${lineNumber}: event ${event.seq} differs from the one already in the log (${differs}); nothing of it was imported`,
		);
	const sealed = (event: ImportedEvent): ImportedEvent =>
		keyring && event.body && bodyProtection(event.body).state === "plain"
			? { ...event, body: encryptBodySync(keyring, event.body, event.seq) }
			: event;
	const check = async (event: ImportedEvent, lineNumber: number): Promise<"new" | "present"> => {
		const [existing] = await read("seq = ?", event.seq);
		if (!existing) return "new";
		const differs = await differenceOpened(keyring, existing, event);
		if (differs) throw conflict(event, lineNumber, differs);
		return "present";
	};

	return {
		check,
		async apply(batch) {
			// Comparing with a sealed body is asynchronous (Web Crypto) and a SQLite transaction
			// may not wait, so a batch is checked first, then written in one transaction that
			// refuses a position another process took in between.
			const fresh = new Map<number, ImportedEvent>();
			for (const { event, lineNumber } of batch) {
				const earlier = fresh.get(event.seq);
				if (earlier) {
					// The same position twice in one batch: the first is not in the log yet.
					const differs = difference(earlier, event);
					if (differs) throw conflict(event, lineNumber, differs);
				} else if ((await check(event, lineNumber)) === "new") fresh.set(event.seq, event);
			}
			const rows = [...fresh.values()];
			// Under the log's lock, like an append: imported positions and the appenders' head never collide.
			await exec.transaction(function* () {
				yield* lock(d, "log");
				const [taken] = yield* query<{ seq: number }>(
					`select seq from events where ${d.inList("seq")} order by seq limit 1`,
					d.list(rows.map((e) => e.seq)),
				);
				if (taken) {
					throw new TransferError(
						`event ${taken.seq} was written by another process during the import; nothing of its batch was imported, run the import again`,
					);
				}
				yield* insertEvents(d, rows.map(sealed));
			});
			return { inserted: fresh.size, skipped: batch.length - fresh.size };
		},
	};
}

import { statSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import { asc, eq, gt, sql } from "drizzle-orm";
import { bodyProtection, encryptBodySync } from "../../events/bodyCipher.ts";
import type { Keyring } from "../../events/bodyKeys.ts";
import { differenceOpened, exportLine, parseExportLine } from "../exportFormat.ts";
import { type ImportedEvent, type Importer, type LogTransfer, TransferError } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import type { Transaction } from "./groupCommit.ts";
import { Locks, lockFor } from "./locks.ts";
import { events } from "./schema.ts";

/** The log in and out of the database: events in pages, an idempotent import, an NDJSON backup. */
const exported = {
	seq: events.seq,
	type: events.type,
	recordedAt: events.recordedAt,
	deliverySeq: events.deliverySeq,
	citybaseId: events.citybaseId,
	paymentStatus: events.paymentStatus,
	invoice: events.invoice,
	effectKey: events.effectKey,
	body: events.body,
	// The stored JSON text itself (json keeps it as written), so an import writes back the same text.
	data: sql<string | null>`${events.data}::text`,
};

type Reader = OpenDatabase["db"] | Transaction;

async function* pages(reader: Reader, since: number, pageSize: number): AsyncIterable<ImportedEvent> {
	let after = 0;
	for (;;) {
		const rows = await reader
			.select(exported)
			.from(events)
			.where(gt(events.seq, after))
			.orderBy(asc(events.seq))
			.limit(pageSize);
		for (const row of rows) if (row.recordedAt >= since) yield row;
		if (rows.length < pageSize) return;
		after = (rows.at(-1) as ImportedEvent).seq;
	}
}

export function createPostgresTransfer(open: OpenDatabase, keyring: Keyring | null = null): LogTransfer {
	return {
		events: ({ since = Number.NEGATIVE_INFINITY, pageSize = 2000 } = {}) => pages(open.db, since, pageSize),
		importer: () => createImporter(open, keyring),
		backup: (path) => backupToFile(open, path),
	};
}

/**
 * With keys, a body that comes in clear (a log written before encryption) is sealed with
 * the current key at its own position, so the store holds no body in clear; a sealed body
 * is kept as it is, at its position, so the keys that sealed it still open it. A body
 * already stored compares by the bytes both open to.
 */
function createImporter({ db }: OpenDatabase, keyring: Keyring | null): Importer {
	const sealed = (event: ImportedEvent): Uint8Array | null =>
		keyring && event.body && bodyProtection(event.body).state === "plain"
			? encryptBodySync(keyring, event.body, event.seq)
			: event.body;
	const check = async (reader: Reader, event: ImportedEvent, lineNumber: number): Promise<"new" | "present"> => {
		const [existing] = await reader.select(exported).from(events).where(eq(events.seq, event.seq));
		if (!existing) return "new";
		const differs = await differenceOpened(keyring, existing, event);
		if (differs) {
			throw new TransferError(
				`line ${lineNumber}: event ${event.seq} differs from the one already in the log (${differs}); nothing of it was imported`,
			);
		}
		return "present";
	};

	return {
		check: (event, lineNumber) => check(db, event, lineNumber),
		// Under the log lock, like an append: the imported positions and the appenders'
		// max(seq) + 1 never collide, and the head after an import is its highest position.
		apply: (batch) =>
			db.transaction(async (tx) => {
				await tx.execute(lockFor(Locks.log));
				let inserted = 0;
				for (const { event, lineNumber } of batch) {
					if ((await check(tx, event, lineNumber)) === "present") continue;
					const body = sealed(event);
					await tx.insert(events).values({
						...event,
						body: body === null ? null : Buffer.from(body),
						data: event.data === null ? null : sql`${event.data}::json`,
					});
					inserted++;
				}
				return { inserted, skipped: batch.length - inserted };
			}),
	};
}

/**
 * The log as an NDJSON export at `path` (the format `import` reads), from one
 * repeatable-read snapshot so the service may keep writing; then checked by reading
 * every line back. Never overwrites a file. Not pg_dump: it need not be installed
 * beside the service, and an export restores into either store.
 */
async function backupToFile({ db }: OpenDatabase, path: string): Promise<{ events: number; bytes: number }> {
	const file = await openFile(path, "wx").catch((error: NodeJS.ErrnoException) => {
		if (error.code === "EEXIST") throw new TransferError(`${path} already exists: a backup never overwrites a file`);
		throw error;
	});
	try {
		await db.transaction(
			async (tx) => {
				let chunk = "";
				for await (const event of pages(tx, Number.NEGATIVE_INFINITY, 2000)) {
					chunk += `${exportLine(event)}\n`;
					if (chunk.length > 1 << 20) {
						await file.write(chunk);
						chunk = "";
					}
				}
				await file.write(chunk);
			},
			{ isolationLevel: "repeatable read", accessMode: "read only" },
		);
		await file.sync();
	} finally {
		await file.close();
	}
	return { events: await checkBackup(path), bytes: statSync(path).size };
}

async function checkBackup(path: string): Promise<number> {
	let count = 0;
	let lineNumber = 0;
	let previous = 0;
	const text = await Bun.file(path).text();
	for (const line of text.split("\n")) {
		lineNumber++;
		if (line === "") continue;
		const { seq } = parseExportLine(line, lineNumber);
		if (seq <= previous)
			throw new TransferError(`the backup at ${path} failed its check: line ${lineNumber} is out of order`);
		previous = seq;
		count++;
	}
	return count;
}

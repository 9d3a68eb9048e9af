import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { bodyProtection, encryptBodySync } from "../../events/bodyCipher.ts";
import type { Keyring } from "../../events/bodyKeys.ts";
import { difference, differenceOpened } from "../exportFormat.ts";
import { type ImportedEvent, type Importer, type LogTransfer, TransferError } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";

/** The log in and out of the SQLite file: events in pages, an idempotent import, an online backup. */
interface Row {
	seq: number;
	type: string;
	recorded_at: number;
	delivery_seq: number | null;
	citybase_id: number | null;
	payment_status: string | null;
	invoice: string | null;
	effect_key: string | null;
	body: Uint8Array | null;
	data: string | null;
}

const columns = "seq, type, recorded_at, delivery_seq, citybase_id, payment_status, invoice, effect_key, body, data";

const toImported = (r: Row): ImportedEvent => ({
	seq: r.seq,
	type: r.type,
	recordedAt: r.recorded_at,
	deliverySeq: r.delivery_seq,
	citybaseId: r.citybase_id,
	paymentStatus: r.payment_status,
	invoice: r.invoice,
	effectKey: r.effect_key,
	body: r.body,
	data: r.data,
});

export function createSqliteTransfer(open: OpenDatabase, keyring: Keyring | null = null): LogTransfer {
	const { sqlite } = open;
	return {
		async *events({ since = Number.NEGATIVE_INFINITY, pageSize = 2000 } = {}) {
			const page = sqlite.query<Row, [number, number]>(
				`select ${columns} from events where seq > ?1 order by seq limit ?2`,
			);
			let after = 0;
			for (;;) {
				const rows = page.all(after, pageSize);
				for (const row of rows) if (row.recorded_at >= since) yield toImported(row);
				if (rows.length < pageSize) return;
				after = (rows.at(-1) as Row).seq;
			}
		},
		importer: () => createImporter(open, keyring),
		backup: async (path) => backupDatabase(open, path),
	};
}

function createImporter({ sqlite }: OpenDatabase, keyring: Keyring | null): Importer {
	const select = sqlite.query<Row, [number]>(`select ${columns} from events where seq = ?1`);
	const insert = sqlite.prepare(`insert into events (${columns}) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`);
	const conflict = (event: ImportedEvent, lineNumber: number, differs: string) =>
		new TransferError(
			`line ${lineNumber}: event ${event.seq} differs from the one already in the log (${differs}); nothing of it was imported`,
		);

	const check = async (event: ImportedEvent, lineNumber: number): Promise<"new" | "present"> => {
		const existing = select.get(event.seq);
		if (!existing) return "new";
		const differs = await differenceOpened(keyring, toImported(existing), event);
		if (differs) throw conflict(event, lineNumber, differs);
		return "present";
	};

	/**
	 * A body that comes in clear (from a log written before encryption) is sealed with the
	 * current key at its own position, so a store with keys holds no body in clear: that is
	 * how an old log moves into an encrypted store. A sealed body is kept as it is; its
	 * position is kept too, so the keys that sealed it still open it.
	 */
	const sealed = (event: ImportedEvent): Uint8Array | null =>
		keyring && event.body && bodyProtection(event.body).state === "plain"
			? encryptBodySync(keyring, event.body, event.seq)
			: event.body;

	// Comparing with a sealed body is asynchronous (Web Crypto) and a bun:sqlite
	// transaction is not, so a batch is checked first, then written in one transaction
	// that refuses a position another process took in between.
	const insertBatch = sqlite.transaction((events: ImportedEvent[]) => {
		for (const event of events) {
			if (select.get(event.seq)) {
				throw new TransferError(
					`event ${event.seq} was written by another process during the import; nothing of its batch was imported, run the import again`,
				);
			}
			insert.run(
				event.seq,
				event.type,
				event.recordedAt,
				event.deliverySeq,
				event.citybaseId,
				event.paymentStatus,
				event.invoice,
				event.effectKey,
				sealed(event),
				event.data,
			);
		}
	});

	return {
		check,
		async apply(batch) {
			const fresh = new Map<number, ImportedEvent>();
			for (const { event, lineNumber } of batch) {
				const earlier = fresh.get(event.seq);
				if (earlier) {
					// The same position twice in one batch: the first is not in the log yet.
					const differs = difference(earlier, event);
					if (differs) throw conflict(event, lineNumber, differs);
				} else if ((await check(event, lineNumber)) === "new") fresh.set(event.seq, event);
			}
			insertBatch([...fresh.values()]);
			return { inserted: fresh.size, skipped: batch.length - fresh.size };
		},
	};
}

/**
 * A consistent copy of the live database (`VACUUM INTO`: one read transaction, so the
 * service may keep writing), then checked by opening it. Never overwrites a file.
 */
function backupDatabase({ sqlite }: OpenDatabase, path: string): { events: number; bytes: number } {
	if (existsSync(path)) throw new TransferError(`${path} already exists: a backup never overwrites a file`);
	sqlite.run("VACUUM INTO ?1", [path]);
	const copy = new Database(path, { readonly: true, strict: true });
	try {
		const check = copy.query<{ quick_check: string }, []>("PRAGMA quick_check").get();
		if (check?.quick_check !== "ok")
			throw new TransferError(`the backup at ${path} failed its check: ${check?.quick_check}`);
		const events = copy.query<{ n: number }, []>("select count(*) as n from events").get()?.n ?? 0;
		return { events, bytes: statSync(path).size };
	} finally {
		copy.close();
	}
}

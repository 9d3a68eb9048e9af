import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { difference } from "../exportFormat.ts";
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

export function createSqliteTransfer(open: OpenDatabase): LogTransfer {
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
		importer: () => createImporter(open),
		backup: async (path) => backupDatabase(open, path),
	};
}

function createImporter({ sqlite }: OpenDatabase): Importer {
	const select = sqlite.query<Row, [number]>(`select ${columns} from events where seq = ?1`);
	const insert = sqlite.prepare(`insert into events (${columns}) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`);

	const check = (event: ImportedEvent, lineNumber: number): "new" | "present" => {
		const existing = select.get(event.seq);
		if (!existing) return "new";
		const differs = difference(toImported(existing), event);
		if (differs) {
			throw new TransferError(
				`line ${lineNumber}: event ${event.seq} differs from the one already in the log (${differs}); nothing of it was imported`,
			);
		}
		return "present";
	};

	const applyBatch = sqlite.transaction((batch: { event: ImportedEvent; lineNumber: number }[]) => {
		let inserted = 0;
		for (const { event, lineNumber } of batch) {
			if (check(event, lineNumber) === "present") continue;
			insert.run(
				event.seq,
				event.type,
				event.recordedAt,
				event.deliverySeq,
				event.citybaseId,
				event.paymentStatus,
				event.invoice,
				event.effectKey,
				event.body,
				event.data,
			);
			inserted++;
		}
		return { inserted, skipped: batch.length - inserted };
	});

	return { check: async (event, lineNumber) => check(event, lineNumber), apply: async (batch) => applyBatch(batch) };
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

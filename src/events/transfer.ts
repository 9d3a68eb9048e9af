import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { OpenDatabase } from "./database.ts";
import {
	AcceptedData,
	AppliedData,
	DeadLetteredData,
	EffectFailedData,
	EffectSucceededData,
	EventTypes,
	ReceivedData,
	RejectedData,
	type StoredEvent,
} from "./types.ts";

/**
 * The log in and out of SQLite: NDJSON export (one event a line, fields in a fixed
 * order, the delivery bytes base64), an idempotent import that keeps every event's
 * position, and an online backup. Export then import reproduces the log exactly, so
 * a read model rebuilt from either has the same checksum.
 */
export class TransferError extends Error {}

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

/** NDJSON lines (without their newline) for events recorded at or after `since`, in log order, read in pages. */
export function* exportLines(
	{ sqlite }: OpenDatabase,
	{ since = Number.NEGATIVE_INFINITY, pageSize = 2000 }: { since?: number; pageSize?: number } = {},
): Generator<string, void, undefined> {
	const page = sqlite.query<Row, [number, number]>(
		`select ${columns} from events where seq > ?1 order by seq limit ?2`,
	);
	let after = 0;
	for (;;) {
		const rows = page.all(after, pageSize);
		for (const row of rows) if (row.recorded_at >= since) yield exportLine(row);
		if (rows.length < pageSize) return;
		after = (rows.at(-1) as Row).seq;
	}
}

function exportLine(r: Row): string {
	const body = r.body === null ? "null" : `"${Buffer.from(r.body).toString("base64")}"`;
	// `data` is stored as JSON text: embedded as it is, so the import writes back the same text.
	return `{"seq":${r.seq},"type":${JSON.stringify(r.type)},"recordedAt":${r.recorded_at},"deliverySeq":${r.delivery_seq},"citybaseId":${r.citybase_id},"paymentStatus":${JSON.stringify(r.payment_status)},"invoice":${JSON.stringify(r.invoice)},"effectKey":${JSON.stringify(r.effect_key)},"body":${body},"data":${r.data ?? "null"}}`;
}

const nullable = <S extends TSchema>(schema: S) => T.Union([schema, T.Null()]);

const ExportedEvent = T.Object(
	{
		seq: T.Integer({ minimum: 1 }),
		type: T.Union(Object.values(EventTypes).map((t) => T.Literal(t))),
		recordedAt: T.Integer(),
		deliverySeq: nullable(T.Integer({ minimum: 1 })),
		citybaseId: nullable(T.Integer()),
		paymentStatus: nullable(T.String()),
		invoice: nullable(T.String()),
		effectKey: nullable(T.String()),
		body: nullable(T.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$" })),
		data: T.Unknown(),
	},
	{ additionalProperties: false },
);

/** An event as the import writes it: the stored shape, with the body as bytes and `data` as its JSON text. */
export type ImportedEvent = Omit<StoredEvent, "type" | "body" | "data"> & {
	type: string;
	body: Buffer | null;
	data: string | null;
};

const lineCheck = TypeCompiler.Compile(ExportedEvent);
/** Each event's `data` is checked against its type's schema: a log that reads back wrong is worse than none. */
const dataChecks = new Map(
	(
		[
			[EventTypes.received, ReceivedData],
			[EventTypes.accepted, AcceptedData],
			[EventTypes.rejected, RejectedData],
			[EventTypes.effectSucceeded, EffectSucceededData],
			[EventTypes.effectFailed, EffectFailedData],
			[EventTypes.applied, AppliedData],
			[EventTypes.deadLettered, DeadLetteredData],
		] as const
	).map(([type, schema]) => [type as string, TypeCompiler.Compile(schema as TSchema)]),
);

export function parseExportLine(line: string, lineNumber: number): ImportedEvent {
	let value: unknown;
	try {
		value = JSON.parse(line);
	} catch (error) {
		throw new TransferError(`line ${lineNumber}: not JSON (${(error as Error).message})`);
	}
	if (!lineCheck.Check(value)) {
		const first = lineCheck.Errors(value).First();
		throw new TransferError(
			`line ${lineNumber}: ${first ? `${first.path || "event"} ${first.message}` : "not an event"}`,
		);
	}
	const dataCheck = dataChecks.get(value.type);
	if (dataCheck && !dataCheck.Check(value.data)) {
		const first = dataCheck.Errors(value.data).First();
		throw new TransferError(
			`line ${lineNumber}: data${first?.path ?? ""} ${first?.message ?? "is invalid"} for ${value.type}`,
		);
	}
	return {
		seq: value.seq,
		type: value.type,
		recordedAt: value.recordedAt,
		deliverySeq: value.deliverySeq,
		citybaseId: value.citybaseId,
		paymentStatus: value.paymentStatus,
		invoice: value.invoice,
		effectKey: value.effectKey,
		body: value.body === null ? null : Buffer.from(value.body, "base64"),
		data: value.data === null || value.data === undefined ? null : JSON.stringify(value.data),
	};
}

export interface Importer {
	/** "present" when the same event is already at its position; a different one there is an error */
	check(event: ImportedEvent, lineNumber: number): "new" | "present";
	/** Adds the new events of a batch in one transaction; the whole batch is refused on a conflict. */
	apply(batch: { event: ImportedEvent; lineNumber: number }[]): { inserted: number; skipped: number };
}

export function createImporter({ sqlite }: OpenDatabase): Importer {
	const select = sqlite.query<Row, [number]>(`select ${columns} from events where seq = ?1`);
	const insert = sqlite.prepare(`insert into events (${columns}) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`);

	const check = (event: ImportedEvent, lineNumber: number): "new" | "present" => {
		const existing = select.get(event.seq);
		if (!existing) return "new";
		const differs = difference(existing, event);
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

	return { check, apply: (batch) => applyBatch(batch) };
}

/** The first column in which a stored event differs from an imported one, or null. */
function difference(row: Row, event: ImportedEvent): string | null {
	if (row.type !== event.type) return "type";
	if (row.recorded_at !== event.recordedAt) return "recordedAt";
	if (row.delivery_seq !== event.deliverySeq) return "deliverySeq";
	if (row.citybase_id !== event.citybaseId) return "citybaseId";
	if (row.payment_status !== event.paymentStatus) return "paymentStatus";
	if (row.invoice !== event.invoice) return "invoice";
	if (row.effect_key !== event.effectKey) return "effectKey";
	const body = row.body === null ? null : Buffer.from(row.body);
	if (body === null ? event.body !== null : event.body === null || !body.equals(event.body)) return "body";
	const data = row.data === null ? null : JSON.stringify(JSON.parse(row.data));
	if (data !== event.data) return "data";
	return null;
}

/**
 * A consistent copy of the live database (`VACUUM INTO`: one read transaction, so the
 * service may keep writing), then checked by opening it. Never overwrites a file.
 */
export function backupDatabase({ sqlite }: OpenDatabase, path: string): { events: number; bytes: number } {
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

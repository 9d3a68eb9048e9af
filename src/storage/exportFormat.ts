import { Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { decryptBody } from "../events/bodyCipher.ts";
import type { Keyring } from "../events/bodyKeys.ts";
import { EventData, EventTypes } from "../events/types.ts";
import { type ImportedEvent, TransferError } from "./storage.ts";

/**
 * The export format, the same for every store: NDJSON, one event a line, fields in a
 * fixed order, the delivery bytes base64. Export then import reproduces the log
 * exactly, so a read model rebuilt from either has the same checksum.
 */
export function exportLine(e: ImportedEvent): string {
	const body = e.body === null ? "null" : `"${Buffer.from(e.body).toString("base64")}"`;
	// `data` is the stored JSON text, embedded as it is, so the import writes back the same text.
	return `{"seq":${e.seq},"type":${JSON.stringify(e.type)},"recordedAt":${e.recordedAt},"deliverySeq":${e.deliverySeq},"citybaseId":${e.citybaseId},"paymentStatus":${JSON.stringify(e.paymentStatus)},"invoice":${JSON.stringify(e.invoice)},"effectKey":${JSON.stringify(e.effectKey)},"body":${body},"data":${e.data ?? "null"}}`;
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

const lineCheck = TypeCompiler.Compile(ExportedEvent);
/** Each event's `data` is checked against its type's schema: a log that reads back wrong is worse than none. */
const dataChecks = new Map<string, ReturnType<typeof TypeCompiler.Compile>>(
	Object.entries(EventData).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)]),
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

/** The first field in which two events differ, or null: an import never overwrites a different event. */
export function difference(stored: ImportedEvent, event: ImportedEvent): string | null {
	for (const field of [
		"type",
		"recordedAt",
		"deliverySeq",
		"citybaseId",
		"paymentStatus",
		"invoice",
		"effectKey",
	] as const) {
		if (stored[field] !== event[field]) return field;
	}
	const body = stored.body === null ? null : Buffer.from(stored.body);
	if (body === null ? event.body !== null : event.body === null || !body.equals(event.body)) return "body";
	const data = stored.data === null ? null : JSON.stringify(JSON.parse(stored.data));
	if (data !== event.data) return "data";
	return null;
}

/**
 * As `difference`, but two bodies that open to the same bytes are the same body: an import
 * seals a body that came in clear, so the event it stored no longer has the file's bytes.
 * A body that cannot be opened (its key is not listed) is compared by its bytes only.
 */
export async function differenceOpened(
	keyring: Keyring | null,
	stored: ImportedEvent,
	event: ImportedEvent,
): Promise<string | null> {
	const differs = difference(stored, event);
	if (differs !== "body" || stored.body === null || event.body === null) return differs;
	const [a, b] = await Promise.all([
		decryptBody(keyring, stored.body, event.seq),
		decryptBody(keyring, event.body, event.seq),
	]);
	if (a.state === "unreadable" || b.state === "unreadable" || !Buffer.from(a.bytes).equals(b.bytes)) return "body";
	return difference({ ...stored, body: event.body }, event);
}

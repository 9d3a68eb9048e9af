/**
 * The record store: raw values per app, object and record id, and the write rules Knack
 * applies (connection fields become `[{id, identifier}]`). Formatting for reads lives in
 * format.ts so the store keeps only what was written.
 */

export type StoredRecord = { id: string } & Record<string, unknown>;

/** A connection as Knack returns it in `field_N_raw`. */
export interface Connection {
	id: string;
	identifier: string;
}

/** Per object key, the fields that connect to another object. */
export type ConnectionSchema = Record<string, Record<string, ConnectionField>>;

export interface ConnectionField {
	/** Object the field connects to; when set, written ids must exist there. */
	object?: string;
	/** Field of the connected record shown as its identifier; the id itself otherwise. */
	identifierField?: string;
}

/** Initial records per app id, then per object key, in their stored (raw) form. */
export type SandboxSeed = Record<string, Record<string, StoredRecord[]>>;

export class WriteError extends Error {}

const FIELD_KEY = /^field_\d+$/;

export function isConnectionList(value: unknown): value is Connection[] {
	return (
		Array.isArray(value) &&
		value.every(
			(item) =>
				typeof item === "object" &&
				item !== null &&
				typeof (item as Connection).id === "string" &&
				typeof (item as Connection).identifier === "string",
		)
	);
}

let idCounter = Math.floor(Math.random() * 0xffffff);
const processPart = Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => b.toString(16).padStart(2, "0")).join(
	"",
);

/** Mongo ObjectId layout (time, process, counter), which is what Knack ids are. */
function newRecordId(): string {
	idCounter = (idCounter + 1) & 0xffffff;
	const seconds = Math.floor(Date.now() / 1000)
		.toString(16)
		.padStart(8, "0");
	return `${seconds}${processPart}${idCounter.toString(16).padStart(6, "0")}`;
}

export class RecordStore {
	private apps = new Map<string, Map<string, Map<string, StoredRecord>>>();

	constructor(
		appIds: readonly string[],
		private readonly connections: ConnectionSchema = {},
	) {
		for (const appId of appIds) this.apps.set(appId, new Map());
	}

	load(seed: SandboxSeed): void {
		for (const [appId, objects] of Object.entries(seed)) {
			const app = this.app(appId);
			for (const [objectKey, records] of Object.entries(objects)) {
				const table = this.table(app, objectKey);
				for (const record of records) table.set(record.id, structuredClone(record));
			}
		}
	}

	clear(): void {
		for (const app of this.apps.values()) app.clear();
	}

	hasApp(appId: string): boolean {
		return this.apps.has(appId);
	}

	list(appId: string, objectKey: string): StoredRecord[] {
		return [...(this.app(appId).get(objectKey)?.values() ?? [])];
	}

	get(appId: string, objectKey: string, id: string): StoredRecord | undefined {
		return this.app(appId).get(objectKey)?.get(id);
	}

	/** Throws WriteError when a value cannot be written (Knack answers 400). */
	create(appId: string, objectKey: string, fields: Record<string, unknown>, id = newRecordId()): StoredRecord {
		const record: StoredRecord = { id, ...this.normalize(appId, objectKey, fields) };
		this.table(this.app(appId), objectKey).set(id, record);
		return record;
	}

	/** Merges fields into an existing record; undefined when there is none. */
	update(appId: string, objectKey: string, id: string, fields: Record<string, unknown>): StoredRecord | undefined {
		const record = this.get(appId, objectKey, id);
		if (record === undefined) return undefined;
		Object.assign(record, this.normalize(appId, objectKey, fields));
		return record;
	}

	/** Merges into the record with this id, or creates it (with a new id when none is given). */
	put(appId: string, objectKey: string, record: Record<string, unknown> & { id?: string }): StoredRecord {
		const existing = record.id === undefined ? undefined : this.update(appId, objectKey, record.id, record);
		return existing ?? this.create(appId, objectKey, record, record.id);
	}

	delete(appId: string, objectKey: string, id: string): boolean {
		return this.app(appId).get(objectKey)?.delete(id) ?? false;
	}

	private app(appId: string): Map<string, Map<string, StoredRecord>> {
		const app = this.apps.get(appId);
		if (app === undefined) throw new Error(`unknown sandbox app id ${JSON.stringify(appId)}`);
		return app;
	}

	private table(app: Map<string, Map<string, StoredRecord>>, objectKey: string): Map<string, StoredRecord> {
		let table = app.get(objectKey);
		if (table === undefined) {
			table = new Map();
			app.set(objectKey, table);
		}
		return table;
	}

	/** Knack ignores keys that are not field ids (`id`, `field_N_raw`, typos), so the sandbox does too. */
	private normalize(appId: string, objectKey: string, fields: Record<string, unknown>): Record<string, unknown> {
		const schema = this.connections[objectKey];
		const out: Record<string, unknown> = {};
		for (const [key, value] of Object.entries(fields)) {
			if (!FIELD_KEY.test(key)) continue;
			const connection = schema?.[key];
			out[key] = connection ? this.connect(appId, key, connection, value) : value;
		}
		return out;
	}

	private connect(appId: string, key: string, field: ConnectionField, value: unknown): Connection[] {
		if (value === null || value === "") return [];
		if (isConnectionList(value)) return value.map(({ id, identifier }) => ({ id, identifier }));
		const ids = typeof value === "string" ? [value] : value;
		if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
			throw new WriteError(`${key}: a connection takes a record id, a list of record ids, or null`);
		}
		return ids.map((id) => ({ id, identifier: this.identifier(appId, key, field, id) }));
	}

	// Writing a display identifier instead of a record id was a real bug in the Flask
	// service (docs/design.md §10), so an id that names no record is refused rather than stored.
	private identifier(appId: string, key: string, field: ConnectionField, id: string): string {
		if (field.object === undefined) return id;
		const target = this.get(appId, field.object, id);
		if (target === undefined) throw new WriteError(`${key}: no ${field.object} record with id ${id}`);
		if (field.identifierField === undefined) return id;
		const shown = target[field.identifierField];
		return shown === undefined || shown === null ? "" : String(shown);
	}
}

/**
 * JSON as it is written on the wire rather than as JavaScript sees it: an object may
 * repeat a key, and any token may be given as raw text or bytes (`18014398509481985`,
 * `6000.0`, `"\u0069d"`, invalid UTF-8). `JSON.stringify` can say none of these.
 */
export class Raw {
	constructor(
		readonly text: string | Uint8Array,
		readonly meaning: {
			/** what JSON.parse makes of it (a key's name, a number's value, a string's text) */
			value?: unknown;
			/** how deeply it nests arrays and objects, for the service's nesting bound */
			depth?: number;
			/** not JSON at all */
			malformed?: boolean;
		} = {},
	) {}
}

/** A number written exactly as given: `6000.0`, `1E5`, `18014398509481985`. */
export const num = (text: string): Raw => new Raw(text, { value: JSON.parse(text) });

const sameKey = (k: Key, key: string): boolean => k === key || (k instanceof Raw && k.meaning.value === key);

export type Key = string | Raw;
export type Json = null | boolean | number | string | Raw | Obj | Json[];

export class Obj {
	constructor(public entries: [Key, Json][] = []) {}

	static of(record: Record<string, Json>): Obj {
		return new Obj(Object.entries(record));
	}

	/** The value JSON.parse would keep: the last one written under the key. */
	get(key: string): Json | undefined {
		for (let i = this.entries.length - 1; i >= 0; i--) {
			const [k, v] = this.entries[i] as [Key, Json];
			if (sameKey(k, key)) return v;
		}
		return undefined;
	}

	/** Replaces every value under the key, keeping the first position; appends when absent. */
	set(key: string, value: Json): void {
		const at = this.entries.findIndex(([k]) => sameKey(k, key));
		if (at < 0) {
			this.entries.push([key, value]);
			return;
		}
		this.entries = this.entries.filter(([k], i) => !sameKey(k, key) || i === at);
		this.entries[at] = [key, value];
	}

	remove(key: string): void {
		this.entries = this.entries.filter(([k]) => !sameKey(k, key));
	}

	/** Writes the key once more, before or after its current place. */
	duplicate(key: string, value: Json, before: boolean): void {
		const at = this.entries.findIndex(([k]) => sameKey(k, key));
		const index = at < 0 ? this.entries.length : before ? at : this.entries.length;
		this.entries.splice(index, 0, [key, value]);
	}

	/** Writes an existing key's name with `\u` escapes: the same key to a JSON parser. */
	escapeKey(key: string): void {
		this.entries = this.entries.map(([k, v]) => [sameKey(k, key) ? new Raw(escapedString(key), { value: key }) : k, v]);
	}
}

export function escapedString(text: string): string {
	let out = "";
	for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, "0")}`;
	return `"${out}"`;
}

const encoder = new TextEncoder();

/** Renders to bytes; `space` goes between every pair of tokens (JSON whitespace only). */
export function render(value: Json, space = ""): Uint8Array {
	const parts: Uint8Array[] = [];
	let pending: string[] = [];
	const flush = () => {
		if (pending.length > 0) parts.push(encoder.encode(pending.join("")));
		pending = [];
	};
	const raw = (text: string | Uint8Array) => {
		if (typeof text === "string") pending.push(text);
		else {
			flush();
			parts.push(text);
		}
	};
	const write = (v: Json): void => {
		if (v instanceof Raw) raw(v.text);
		else if (v instanceof Obj) {
			pending.push("{", space);
			v.entries.forEach(([k, item], i) => {
				if (i > 0) pending.push(space, ",", space);
				if (k instanceof Raw) raw(k.text);
				else pending.push(JSON.stringify(k));
				pending.push(space, ":", space);
				write(item);
			});
			pending.push(space, "}");
		} else if (Array.isArray(v)) {
			pending.push("[", space);
			v.forEach((item, i) => {
				if (i > 0) pending.push(space, ",", space);
				write(item);
			});
			pending.push(space, "]");
		} else pending.push(JSON.stringify(v));
	};
	write(value);
	flush();
	if (parts.length === 1) return parts[0] as Uint8Array;
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

/** How deeply arrays and objects nest, counted on the tree (not the bytes, as the service does). */
export function depthOf(value: Json): number {
	if (value instanceof Raw) return value.meaning.depth ?? 0;
	let deepest = 0;
	if (value instanceof Obj) for (const [, v] of value.entries) deepest = Math.max(deepest, depthOf(v));
	else if (Array.isArray(value)) for (const v of value) deepest = Math.max(deepest, depthOf(v));
	else return 0;
	return 1 + deepest;
}

/** A plain JSON value (from `fc.jsonValue`) as a tree that can be mutated. */
export function fromPlain(value: unknown): Json {
	if (Array.isArray(value)) return value.map(fromPlain);
	if (value !== null && typeof value === "object") {
		return new Obj(Object.entries(value).map(([k, v]) => [k, fromPlain(v)]));
	}
	return value as Json;
}

/** Whether any token is not JSON (a literal `NaN`, a stray byte): the whole body is then malformed. */
export function isMalformed(value: Json, key?: Key): boolean {
	if (key instanceof Raw && key.meaning.malformed) return true;
	if (value instanceof Raw) return value.meaning.malformed === true;
	if (value instanceof Obj) return value.entries.some(([k, v]) => isMalformed(v, k));
	if (Array.isArray(value)) return value.some((v) => isMalformed(v));
	return false;
}

/** What JSON.parse makes of a token, for the oracle's checks. */
export function meaningOf(value: Json | undefined): unknown {
	return value instanceof Raw ? value.meaning.value : value;
}

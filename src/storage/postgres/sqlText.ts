import { type SQL, sql } from "drizzle-orm";
import type { SqlText, Statement } from "../sqlText.ts";
import type { OpenDatabase } from "./database.ts";
import { fromStoredText, toStoredText } from "./payloadText.ts";

const numbered = new Map<string, string>();

/** `?` numbered `$1, $2, …`, once per text. */
function numberedText(text: string): string {
	let sent = numbered.get(text);
	if (sent === undefined) {
		let n = 0;
		sent = text.replace(/\?/g, () => `$${++n}`);
		numbered.set(text, sent);
	}
	return sent;
}

/** PostgreSQL's side: each text a prepared statement of its connection; JSON columns read as their text. */
export function postgresText({ client }: OpenDatabase): SqlText {
	return {
		query: async <Row>(text: string, ...params: unknown[]) =>
			(await client.unsafe(numberedText(text), params as never[], { prepare: true })) as unknown as Row[],
		json: (column) => `${column}::text`,
		text: { encode: toStoredText, decode: fromStoredText },
	};
}

/** A statement as drizzle runs it, inside one of its transactions. */
export function drizzleStatement([text, params]: Statement): SQL {
	const pieces = text.split("?");
	return sql.join(
		pieces.flatMap((piece, i) => (i < params.length ? [sql.raw(piece), sql`${params[i]}`] : [sql.raw(piece)])),
	);
}

import type { SqlText } from "../sqlText.ts";
import type { OpenDatabase } from "./database.ts";

/** SQLite's side: bun:sqlite takes `?` as it is, and keeps each text's prepared statement. */
export function sqliteText({ sqlite }: OpenDatabase): SqlText {
	return {
		query: async <Row>(text: string, ...params: unknown[]) => sqlite.query(text).all(...(params as never[])) as Row[],
		json: (column) => column,
		text: { encode: (value) => value, decode: (stored) => stored },
	};
}

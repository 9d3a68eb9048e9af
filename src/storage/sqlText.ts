/**
 * SQL text with `?` for each parameter, sent as it is to either database: what the
 * storage written once for both (the read model's questions, operator jobs) needs of
 * each. PostgreSQL's side numbers the `?`. Integers are read with `Number`: PostgreSQL
 * hands an int8 back as text.
 */
export interface SqlText {
	query<Row>(text: string, ...params: unknown[]): Promise<Row[]>;
	/** `column`, a JSON column, read as the JSON text it stores */
	json(column: string): string;
	/** how text that came from a postback is stored (PostgreSQL's text cannot hold U+0000) */
	text: { encode(value: string): string; decode(stored: string): string };
}

/** A statement of a transaction: its text and parameters. */
export type Statement = [text: string, params: unknown[]];

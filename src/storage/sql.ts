import type { PaymentRow } from "../projections/paymentRow.ts";

/**
 * How the storage core speaks to a database, the same for SQLite and PostgreSQL.
 *
 * An operation is written once, as a generator of its statements: `yield* query(…)` where
 * an async function would write `await`. An executor runs it. PostgreSQL's awaits each
 * statement; SQLite's runs each at once, so a SQLite transaction runs from its BEGIN to
 * its COMMIT with no await inside (bun:sqlite's transactions are synchronous: an await
 * inside one would commit it there, and a later failure would roll back nothing).
 *
 * SQL text is written with `?` for each parameter; where the two databases differ, the
 * text comes from the `Dialect`.
 */
export type Step =
	| { kind: "query" | "command"; text: string; params: unknown[] }
	| { kind: "savepoint"; work: Work<unknown> };

export type Work<T> = Generator<Step, T, unknown>;

/** The rows a statement answers, named by its column aliases. */
export function* query<Row>(text: string, ...params: unknown[]): Work<Row[]> {
	return (yield { kind: "query", text, params }) as Row[];
}

export function* command(text: string, ...params: unknown[]): Work<void> {
	yield { kind: "command", text, params };
}

/** Runs `work` in a savepoint: if it throws, only its own statements are rolled back. */
export function* savepoint<T>(work: Work<T>): Work<T> {
	return (yield { kind: "savepoint", work }) as T;
}

export interface Executor {
	/** Runs `work` outside a transaction, each statement on its own. */
	run<T>(work: Work<T>): Promise<T>;
	/** Runs `work` in one transaction; SQLite takes the write lock at its start (BEGIN IMMEDIATE). */
	transaction<T>(work: () => Work<T>): Promise<T>;
	query<Row>(text: string, ...params: unknown[]): Promise<Row[]>;
}

export function executor(run: Executor["run"], transaction: Executor["transaction"]): Executor {
	return { run, transaction, query: (text, ...params) => run(query(text, ...params)) };
}

/**
 * Rows written several to a statement, at most `ROWS_PER_STATEMENT`, so that a statement
 * has one of a few texts, each prepared once (`textFor`), whatever the number of rows.
 */
export const ROWS_PER_STATEMENT = 32;

export function* chunks<T>(rows: T[]): Generator<T[]> {
	for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) yield rows.slice(i, i + ROWS_PER_STATEMENT);
}

/** A statement's text for a number of rows, made once each. */
export function textFor(make: (rows: number) => string): (rows: number) => string {
	const made = new Map<number, string>();
	return (rows) => {
		const known = made.get(rows);
		if (known !== undefined) return known;
		const text = make(rows);
		made.set(rows, text);
		return text;
	};
}

/** `(?, ?), (?, ?)`: the placeholders of `rows` rows of `columns` values. */
export const placeholders = (rows: number, columns: number) =>
	Array(rows)
		.fill(`(${Array(columns).fill("?").join(", ")})`)
		.join(", ");

/** The transaction-level locks an operation takes; SQLite needs none: its one writer holds the file's. */
export type Lock = "migrate" | "log" | "readModel" | { budget: string };

/** Takes `which` until the transaction ends. */
export function* lock(d: Dialect, which: Lock): Work<void> {
	for (const [text, ...params] of d.locks(which)) yield* query(text, ...params);
}

/** Only what differs between the databases: positions and locks, list parameters, codecs, some SQL text. */
export interface Dialect {
	/** the statements (text, then parameters) that take a lock until the transaction ends */
	locks(lock: Lock): [string, ...unknown[]][];
	/** the position of the log's last event, as the next append counts from it (`head`) */
	head: string;
	/** `column` is one of the ids of one list parameter, whatever their number */
	inList(column: string): string;
	list(ids: number[]): unknown;
	/** a JSON column read as the text it stores */
	json(column: string): string;
	/** appended to a SELECT that reads a row it will change */
	forUpdate: string;
	/** how text that came from a postback is stored (PostgreSQL's text cannot hold U+0000); `decodes`: it is not stored as it is */
	text: { decodes: boolean; encode(value: string): string; decode(stored: string): string };
	/** upserts rows of the payments read model */
	upsertPayments(rows: PaymentRow[]): Work<void>;
	/** drizzle's ledger of applied migrations, and what a read-only open says of it */
	ledger: {
		table: string;
		create: string[];
		/** answers a row when the ledger exists */
		exists: string;
		absent(where: string): string;
		subject(where: string): string;
		cure: string;
	};
}

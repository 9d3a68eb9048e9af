import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { paymentTable, paymentUpsert } from "../readModel.ts";
import {
	chunks,
	command,
	type Dialect,
	type Executor,
	executor,
	placeholders,
	type Step,
	textFor,
	type Work,
} from "../sql.ts";

/**
 * SQLite's side of the storage core. Every statement runs at once, synchronously: a
 * transaction's work runs from BEGIN IMMEDIATE to COMMIT with no await inside it, and
 * its promise is only the shape the core expects. Each statement text is prepared once
 * and kept (bun:sqlite's own `query` cache keeps only the last 20, fewer than the store
 * runs in turn).
 */
export function sqliteExecutor(
	sqlite: Database,
): Executor & { runNow<T>(work: Work<T>): T; inTransactionNow<T>(work: () => Work<T>): T } {
	const statements = new Map<string, Statement>();
	const perform = (step: Step): unknown => {
		if (step.kind === "savepoint") return inTransaction(step.work);
		let statement = statements.get(step.text);
		if (statement === undefined) {
			statement = sqlite.prepare(step.text);
			statements.set(step.text, statement);
		}
		const params = step.params as SQLQueryBindings[];
		return step.kind === "query" ? statement.all(...params) : statement.run(...params);
	};
	function runNow<T>(work: Work<T>): T {
		for (let next = work.next(); ; ) {
			if (next.done) return next.value;
			let result: unknown;
			try {
				result = perform(next.value);
			} catch (error) {
				next = work.throw(error);
				continue;
			}
			next = work.next(result);
		}
	}
	// Called inside a transaction, bun:sqlite makes it a savepoint.
	const inTransaction = sqlite.transaction((work: Work<unknown>) => runNow(work));
	const inTransactionNow = <T>(work: () => Work<T>) => inTransaction.immediate(work()) as T;
	return {
		...executor(
			async (work) => runNow(work),
			async (work) => inTransactionNow(work),
		),
		runNow,
		inTransactionNow,
	};
}

const LEDGER = `"__drizzle_migrations"`;

/** A page's changed rows, several to a statement. */
const upsertPayments = textFor(
	(rows) =>
		`insert into payments (${paymentUpsert.columns}) values ${placeholders(rows, paymentTable.length)} ${paymentUpsert.onConflict}`,
);

export const sqliteDialect: Dialect = {
	// One writer at a time holds the whole file (BEGIN IMMEDIATE): no lock of its own is needed.
	locks: () => [],
	// Past the largest position ever used (sqlite_sequence, as AUTOINCREMENT counts), not only past the rows there now.
	head: `select max(coalesce((select seq from sqlite_sequence where name = 'events'), 0),
		coalesce((select max(seq) from events), 0)) as head`,
	// The list goes as one JSON parameter, so no bound on SQLite's parameters limits its length.
	inList: (column) => `${column} in (select value from json_each(?))`,
	list: (ids) => JSON.stringify(ids),
	json: (column) => column,
	forUpdate: "",
	text: { decodes: false, encode: (value) => value, decode: (stored) => stored },
	*upsertPayments(rows) {
		for (const chunk of chunks(rows)) {
			yield* command(
				upsertPayments(chunk.length),
				...chunk.flatMap((r) =>
					paymentTable.map(([, field, type]) => {
						const value = r[field];
						return type === "json" && value !== null ? JSON.stringify(value) : value;
					}),
				),
			);
		}
	},
	ledger: {
		table: LEDGER,
		create: [`CREATE TABLE IF NOT EXISTS ${LEDGER} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`],
		exists: "select name from sqlite_master where type = 'table' and name = '__drizzle_migrations'",
		absent: (path) => `${path} is not an event store of this service: it has no __drizzle_migrations table`,
		subject: (path) => `the store at ${path}`,
		cure: "open a writable copy once with this version, or read it with the version that wrote it",
	},
};

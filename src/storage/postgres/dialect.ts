import type postgres from "postgres";
import { paymentTable, paymentUpsert } from "../readModel.ts";
import { command, type Dialect, type Executor, executor, type Lock, query, type Step, type Work } from "../sql.ts";

type Connection = postgres.Sql | postgres.TransactionSql;

/**
 * PostgreSQL's side of the storage core: each statement is sent and awaited, as a
 * prepared statement (postgres.js keeps it per connection), its `?` numbered `$1, $2, …`.
 */
export function postgresExecutor(client: postgres.Sql): Executor & {
	/** runs `read` in one read-only snapshot of the database */
	snapshot<T>(read: (reader: Pick<Executor, "query">) => Promise<T>): Promise<T>;
} {
	const numbered = new Map<string, string>();
	const textOf = ({ text, params }: { text: string; params: unknown[] }) => {
		if (params.length === 0) return text;
		let sent = numbered.get(text);
		if (sent === undefined) {
			let n = 0;
			sent = text.replace(/\?/g, () => `$${++n}`);
			numbered.set(text, sent);
		}
		return sent;
	};
	const perform = (sql: Connection, step: Step): Promise<unknown> =>
		step.kind === "savepoint"
			? (sql as postgres.TransactionSql).savepoint((inner) => drive(inner, step.work))
			: sql.unsafe(textOf(step), step.params as postgres.ParameterOrJSON<never>[], { prepare: true });
	async function drive<T>(sql: Connection, work: Work<T>): Promise<T> {
		for (let next = work.next(); ; ) {
			if (next.done) return next.value;
			let result: unknown;
			try {
				result = await perform(sql, next.value);
			} catch (error) {
				next = work.throw(error);
				continue;
			}
			next = work.next(result);
		}
	}
	// postgres.js types begin's result for an array-returning callback; ours return what the work does.
	const begin = <T>(mode: string, fn: (tx: postgres.TransactionSql) => Promise<T>) =>
		client.begin(mode, fn) as Promise<unknown> as Promise<T>;
	return {
		...executor(
			(work) => drive(client, work),
			(work) => begin("", (tx) => drive(tx, work())),
		),
		snapshot: (read) =>
			begin("isolation level repeatable read read only", (tx) =>
				read({ query: (text, ...params) => drive(tx, query(text, ...params)) }),
			),
	};
}

/**
 * The transaction-level advisory locks: (class, object) pairs, released by the commit or
 * rollback itself, so a crashed holder never keeps one. The class is this service's
 * ("CBSE"), so another application on the same database cannot collide.
 */
const LOCK_CLASS = 0x43425345;
const locks = {
	/** reading drizzle's ledger and applying migrations: several instances may start at once */
	migrate: 1,
	/** the log's head: one appender at a time, so positions are gap-free and commit in order */
	log: 2,
	/** the read model's checkpoint: before the first fold there is no checkpoint row to lock */
	readModel: 3,
};

const LEDGER = "drizzle.__drizzle_migrations";

/**
 * Text that came from a postback (invoice, status, effect and claim keys, Knack ids).
 * PostgreSQL cannot store U+0000 in text, yet CityBase's JSON can carry it and SQLite
 * keeps it, so such a value would fail the append (a 503 for a valid postback) and an
 * import from SQLite. It is stored as MARK followed by its JSON string instead, and so is
 * a value that happens to start with MARK, which keeps the encoding reversible while
 * every other value is stored, compared and read in psql as it is.
 */
const MARK = "\uffff";
const toStoredText = (value: string) =>
	value.includes("\u0000") || value.startsWith(MARK) ? MARK + JSON.stringify(value) : value;
const fromStoredText = (stored: string) =>
	stored.startsWith(MARK) ? (JSON.parse(stored.slice(MARK.length)) as string) : stored;

/** A page's rows as one JSON parameter, read back into typed columns by json_to_recordset. */
const upsertPayments = `insert into payments (${paymentUpsert.columns})
 select * from json_to_recordset(?::json) as r(${paymentTable.map(([column, , type]) => `${column} ${type}`).join(", ")})
 ${paymentUpsert.onConflict}`;

export const postgresDialect: Dialect = {
	locks: (lock: Lock) =>
		typeof lock === "string"
			? [[`select pg_advisory_xact_lock(${LOCK_CLASS}, ${locks[lock]})`]]
			: // One app's budget: its takers wait for each other on whichever host they run (a single
				// 64-bit key, a key space apart from the pairs above); its grant's commit is not flushed.
				[
					["set local synchronous_commit = off"],
					["select pg_advisory_xact_lock(hashtext(?))", `knack-budget:${lock.budget}`],
				],
	head: "select coalesce(max(seq), 0) as head from events",
	// The ids as one int8[] parameter, its text literal cast in SQL: no cap on bound parameters,
	// and the driver needs no array types (database.ts: `fetch_types: false`).
	inList: (column) => `${column} = any(?::int8[])`,
	list: (ids) => `{${ids.join(",")}}`,
	// json, not jsonb: it keeps the text as written, so an export reproduces it byte for byte.
	json: (column) => `${column}::text`,
	forUpdate: " for update",
	text: { decodes: true, encode: toStoredText, decode: fromStoredText },
	/**
	 * A page's changed rows in one statement with one parameter, their JSON, rather than
	 * eleven parameters a row: building and binding those was most of a rebuild's time.
	 */
	*upsertPayments(rows) {
		const records = rows.map((r) => ({
			citybase_id: r.citybaseId,
			app: r.app,
			invoice: toStoredText(r.invoice),
			latest_status: toStoredText(r.latestStatus),
			total_amount: r.totalAmount,
			knack_record_id: toStoredText(r.knackRecordId),
			parent_record_id: r.parentRecordId === null ? null : toStoredText(r.parentRecordId),
			knack_records: r.knackRecords,
			deliveries: r.deliveries,
			last_delivery_seq: r.lastDeliverySeq,
			updated_at: r.updatedAt,
			received_at: r.receivedAt,
			open_deliveries: r.open,
			stuck_since: r.stuckSince,
			stuck_status: r.stuckStatus === null ? null : toStoredText(r.stuckStatus),
			trouble: r.trouble,
			last_error: r.lastError,
		}));
		yield* command(upsertPayments, JSON.stringify(records));
	},
	ledger: {
		table: LEDGER,
		create: [
			"create schema if not exists drizzle",
			`create table if not exists ${LEDGER} (id serial primary key, hash text not null, created_at bigint)`,
		],
		exists: `select 1 where to_regclass('${LEDGER}') is not null`,
		absent: () => "the database is not an event store of this service: it has no migration ledger",
		subject: () => "the database",
		cure: "open it once read-write with this version",
	},
};

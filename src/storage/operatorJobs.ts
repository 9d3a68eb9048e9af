import { chunks, command, type Dialect, type Executor, placeholders, textFor } from "./sql.ts";
import type { OperatorJob, OperatorJobStore } from "./storage.ts";

/**
 * Operator jobs, written once for both databases. A job is taken over only while it runs
 * and its lease has run out, in one statement that checks both again as it writes, so two
 * instances never both take one; every later write names its holder, so one that lost
 * the job to another learns it at its next save.
 */
/** A job as read: its JSON columns as their text, `audited` as the database's boolean (SQLite's 0 or 1). */
type StoredJob = Omit<OperatorJob, "payments" | "results" | "audited"> & {
	payments: string;
	results: string;
	audited: boolean | number;
};

const columns = (d: Dialect, j = "") =>
	`${j}id as "id", ${j}who as "who", ${j}"by" as "by", ${j}what as "what", ${d.json(`${j}payments`)} as "payments",
	 ${j}created_at as "createdAt", ${j}state as "state", ${d.json(`${j}results`)} as "results", ${j}note as "note",
	 ${j}holder as "holder", ${j}lease_until as "leaseUntil", ${j}audit_from as "auditFrom", ${j}audited as "audited",
	 ${j}finished_at as "finishedAt"`;

const toJob = (r: StoredJob): OperatorJob => ({
	...r,
	payments: JSON.parse(r.payments),
	results: JSON.parse(r.results),
	audited: Boolean(r.audited),
});

const coveredPayments = textFor(
	(rows) =>
		`insert into operator_job_payments (citybase_id, job_id) values ${placeholders(rows, 2)} on conflict do nothing`,
);

/** Each column a save may change, and how its value is stored. */
const saved: Record<string, [column: string, store: (value: never) => unknown]> = {
	results: ["results", (v: object) => JSON.stringify(v)],
	leaseUntil: ["lease_until", (v: number) => v],
	audited: ["audited", (v: boolean) => v],
	state: ["state", (v: string) => v],
	note: ["note", (v: string | null) => v],
	finishedAt: ["finished_at", (v: number | null) => v],
};

export function createOperatorJobStore(db: Executor, d: Dialect): OperatorJobStore {
	const select = `select ${columns(d)} from operator_jobs`;
	return {
		// The job and the payments it covers in one transaction: a payment's page never names a job that is not there.
		create: (job) =>
			db.transaction(function* () {
				yield* command(
					`insert into operator_jobs (id, who, "by", what, payments, created_at, state, results, note, holder, lease_until,
					 audit_from, audited, finished_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					job.id,
					job.who,
					job.by,
					job.what,
					JSON.stringify(job.payments),
					job.createdAt,
					job.state,
					JSON.stringify(job.results),
					job.note,
					job.holder,
					job.leaseUntil,
					job.auditFrom,
					job.audited,
					job.finishedAt,
				);
				for (const chunk of chunks(job.payments)) {
					yield* command(coveredPayments(chunk.length), ...chunk.flatMap((id) => [id, job.id]));
				}
			}),
		async get(id) {
			const [row] = await db.query<StoredJob>(`${select} where id = ?`, id);
			return row ? toJob(row) : null;
		},
		async recent(limit) {
			return (await db.query<StoredJob>(`${select} order by created_at desc limit ?`, limit)).map(toJob);
		},
		async covering(citybaseId) {
			const rows = await db.query<StoredJob>(
				`select ${columns(d, "j.")} from operator_job_payments p join operator_jobs j on j.id = p.job_id
				 where p.citybase_id = ? order by j.created_at desc`,
				citybaseId,
			);
			return rows.map(toJob);
		},
		async takeOver(holder, now, leaseUntil) {
			const [row] = await db.query<StoredJob>(
				`update operator_jobs set holder = ?, lease_until = ?
				 where state = 'running' and lease_until <= ? and id = (select id from operator_jobs
				 where state = 'running' and lease_until <= ? order by created_at limit 1)
				 returning ${columns(d)}`,
				holder,
				leaseUntil,
				now,
				now,
			);
			return row ? toJob(row) : null;
		},
		async save(id, holder, changes) {
			const set = Object.entries(changes).map(([field, value]) => {
				const [column, store] = saved[field] as [string, (value: never) => unknown];
				return { column, value: store(value as never) };
			});
			if (set.length === 0) return true;
			const rows = await db.query(
				`update operator_jobs set ${set.map((s) => `${s.column} = ?`).join(", ")}
				 where id = ? and holder = ? returning id`,
				...set.map((s) => s.value),
				id,
				holder,
			);
			return rows.length > 0;
		},
	};
}

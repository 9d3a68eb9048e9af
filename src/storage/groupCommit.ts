import {
	chunks,
	command,
	type Dialect,
	type Executor,
	lock,
	placeholders,
	query,
	savepoint,
	textFor,
	type Work,
} from "./sql.ts";

/**
 * Group commit with gap-free positions: every write to the log goes through here. The
 * writes asked for while a commit is in flight (or, on SQLite, while the event loop is
 * busy) are committed together in the next transaction, so one flush to disk serves
 * every postback that arrived meanwhile, and each caller still learns of its own write
 * only once it is durable.
 *
 * The transaction takes the log's lock, reads the head once and hands out head + 1,
 * head + 2, ...: another process's appender waits for the lock until this commit is
 * visible, so positions have no gaps and commit in position order, and a reader that has
 * seen position n has seen everything below it. Each write runs in its own savepoint when
 * it shares the transaction, so a failing one rolls back only itself and gives its
 * positions back.
 */
export interface NewEvent {
	type: string;
	recordedAt: number;
	deliverySeq?: number | null;
	citybaseId?: number | null;
	paymentStatus?: string | null;
	invoice?: string | null;
	effectKey?: string | null;
	body?: Uint8Array | null;
	data?: unknown;
}

export interface LogAppender {
	/**
	 * Adds the event to this write and answers its position. Given a function, the event
	 * is made from its position: a sealed body binds the position it is stored at.
	 */
	append(event: NewEvent | ((seq: number) => NewEvent)): number;
}

export interface GroupCommitter {
	write<T>(work: (log: LogAppender) => Work<T>): Promise<T>;
	append(...events: NewEvent[]): Promise<void>;
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

export function createGroupCommitter(exec: Executor, d: Dialect): GroupCommitter {
	/** a write: its statements, or (undefined) only the events it appended */
	type Write = (log: LogAppender) => Work<unknown> | undefined;
	let queue: { write: Write; settle: (result: Result) => void }[] = [];
	let flushing = false;

	function* commit(batch: typeof queue): Work<Result[]> {
		yield* lock(d, "log");
		let [{ head }] = (yield* query<{ head: number }>(d.head)) as [{ head: number }];
		const results: Result[] = [];
		for (const entry of batch) {
			const write = perform(entry.write, head);
			try {
				// Alone in its transaction, a write needs no savepoint: the rollback is its own.
				const done = batch.length === 1 ? yield* write : yield* savepoint(write);
				head = done.head;
				results.push({ ok: true, value: done.value });
			} catch (error) {
				if (batch.length === 1) throw error;
				results.push({ ok: false, error });
			}
		}
		return results;
	}

	function* perform(write: Write, head: number): Work<{ value: unknown; head: number }> {
		const rows: EventRecord[] = [];
		const log: LogAppender = {
			append(event) {
				const seq = head + rows.length + 1;
				const e = typeof event === "function" ? event(seq) : event;
				rows.push({ ...e, seq, data: e.data === undefined || e.data === null ? null : JSON.stringify(e.data) });
				return seq;
			},
		};
		const work = write(log);
		const value = work ? yield* work : undefined;
		yield* insertEvents(d, rows);
		return { value, head: head + rows.length };
	}

	async function flush() {
		while (queue.length > 0) {
			const batch = queue;
			queue = [];
			try {
				const results = await exec.transaction(() => commit(batch));
				for (const [i, entry] of batch.entries()) entry.settle(results[i] as Result);
			} catch (error) {
				for (const entry of batch) entry.settle({ ok: false, error });
			}
		}
		flushing = false;
	}

	const enqueue = <T>(write: Write) =>
		new Promise<T>((resolve, reject) => {
			queue.push({ write, settle: (r) => (r.ok ? resolve(r.value as T) : reject(r.error)) });
			if (!flushing) {
				flushing = true;
				setImmediate(flush);
			}
		});

	return {
		write: enqueue,
		append: (...events) =>
			enqueue((log) => {
				for (const event of events) log.append(event);
				return undefined;
			}),
	};
}

const insertText = textFor(
	(rows) =>
		`insert into events (seq, type, recorded_at, delivery_seq, citybase_id, payment_status, invoice, effect_key, body, data)
		 values ${placeholders(rows, 10)}`,
);

/** A row of the log as inserted, at its position, `data` as its JSON text. */
type EventRecord = Omit<NewEvent, "data"> & { seq: number; data: string | null };

/** Inserts rows of the log at their positions. */
export function* insertEvents(d: Dialect, rows: EventRecord[]): Work<void> {
	const stored = (value: string | null | undefined) => (value == null ? null : d.text.encode(value));
	for (const chunk of chunks(rows)) {
		yield* command(
			insertText(chunk.length),
			...chunk.flatMap((e) => [
				e.seq,
				e.type,
				e.recordedAt,
				e.deliverySeq ?? null,
				e.citybaseId ?? null,
				stored(e.paymentStatus),
				stored(e.invoice),
				stored(e.effectKey),
				e.body ?? null,
				e.data,
			]),
		);
	}
}

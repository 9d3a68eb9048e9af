import type { Verdict } from "../events/payload.ts";
import type { AcceptedDelivery, AppliedData, OperatorActionData, Outcome, StoredEvent } from "../events/types.ts";
import type { Decision, Grant, Priority, QuotaState } from "../projections/knack/budget.ts";
import type { PaymentRow, Trouble } from "../projections/paymentRow.ts";

/**
 * The storage boundary: everything persistent, behind promises, so a network database
 * can stand behind it as well as a local file. It is written once, over SQL (`sql.ts`,
 * `sqlStorage.ts`), with a dialect for each database (`sqlite/`, `postgres/`); nothing
 * outside storage sees SQL, a table or a database handle. `test/storage/contract.ts` is
 * the suite every store passes.
 */
export interface Storage {
	/** where the data lives, for messages to operators (a file path, a server) */
	readonly location: string;
	readonly events: EventStore;
	readonly readModel: ReadModelStore;
	/** the read model's rows as operators ask for them, each question by an index */
	readonly payments: PaymentQueries;
	readonly queries: OperatorQueries;
	readonly cursors: CursorStore;
	readonly transfer: LogTransfer;
	readonly budget: KnackBudgetStore;
	readonly sessions: ConsoleSessionStore;
	readonly jobs: OperatorJobStore;
	readonly probe: StoreProbe;
	close(): Promise<void>;
}

/**
 * What the health monitor asks of the store itself, every few seconds, so `GET /` can
 * tell a store that cannot be written even while no postback arrives to find out.
 */
export interface StoreProbe {
	/**
	 * A tiny write that leaves nothing behind, made durable like a postback's; rejects
	 * with the store's own error (a full disk, a read-only file, a lost connection).
	 */
	write(): Promise<void>;
	/** Free bytes where the data lives, or null when the adapter cannot tell (a database server). */
	freeBytes(): Promise<number | null>;
}

export interface NewDelivery {
	receivedAt: number;
	body: Uint8Array;
	contentType: string | null;
	remoteAddress: string | null;
	requestId: string | null;
}

export interface OperatorAction {
	citybaseId: number | null;
	status: string | null;
	invoice: string | null;
	deliverySeq: number | null;
	data: OperatorActionData;
}

/**
 * A projection claim to take together with a delivery's append, in its transaction, so
 * a postback's projection starts without a durable write of its own. The projector
 * names the key and the holder (`Projector.claimRequest`). How a claim works: `claims.ts`.
 */
export interface ClaimRequest {
	key: string;
	holder: string;
	now: number;
	leaseMs: number;
}

export type ClaimResult =
	| { state: "claimed" /** an earlier holder's lease ran out: its writes may have reached Knack */; inherited: boolean }
	| { state: "held"; holder: string; expiresAt: number };

/**
 * The append-only event log and the projection claims. Every write resolves only once
 * it is durable; a delivery is durable before any Knack call is made for it.
 */
export interface EventStore {
	/**
	 * Appends the delivery and its verdict together, durably, before any Knack call. With
	 * `claim`, an accepted delivery also takes that claim in the same transaction, judged
	 * as `claim` judges it; a claim held by a live other leaves the append unaffected.
	 */
	appendDelivery(
		delivery: NewDelivery,
		verdict: Verdict,
		claim?: ClaimRequest,
	): Promise<{ deliverySeq: number; claim?: ClaimResult }>;
	/**
	 * Records a projection run in one transaction: its Knack outcomes, whether the
	 * delivery is now fully applied, and the release of its claim.
	 */
	recordOutcomes(
		deliverySeq: number,
		outcomes: Outcome[],
		now: number,
		finish: {
			release?: { key: string; holder: string };
			applied?: AppliedData;
			/** For a delivery found with nothing left to do: drops the key's stale claim (see `claims.ts`). */
			dropStaleClaim?: { key: string; at: number };
		},
	): Promise<void>;
	recordDeadLetter(deliverySeq: number, reason: string, attempts: number, now: number): Promise<void>;
	/** Records what an operator did, tied to the payment, status and delivery it was about (when there was one). */
	recordOperatorAction(action: OperatorAction, now: number): Promise<void>;

	/** Takes the projection claim on `key` unless a live holder has it; two processes never both get it. */
	claim(key: string, holder: string, deliverySeq: number, now: number, leaseMs: number): Promise<ClaimResult>;

	/** Every Knack outcome recorded for a (payment, status), whichever delivery caused it, oldest first. */
	outcomesOf(citybaseId: number, status: string): Promise<StoredEvent[]>;
	get(seq: number): Promise<StoredEvent | null>;
	accepted(deliverySeq: number): Promise<AcceptedDelivery | null>;
	/** Every event tied to a delivery (the delivery itself first). */
	ofDelivery(deliverySeq: number): Promise<StoredEvent[]>;
	/** The payment's events and the `delivery.received` of each of its deliveries, in log order. */
	byPayment(citybaseId: number): Promise<StoredEvent[]>;
	byInvoice(invoice: string): Promise<StoredEvent[]>;
	/** Events in [from, to] by position, read in pages so memory stays flat. */
	range(from: number, to: number, pageSize?: number): AsyncIterable<StoredEvent>;
	/** Accepted deliveries not yet finished (see `finishingTypes`), oldest first. */
	incomplete(limit?: number): Promise<AcceptedDelivery[]>;
	lastSeq(): Promise<number>;
	/** Cheap totals for metrics and health. */
	counts(): Promise<{ events: number; incomplete: number; deadLettered: number }>;
}

/**
 * Where the payments read model keeps its rows and its checkpoint. The fold itself is
 * pure and lives with the read model (`projections/payments.ts`); the store only runs
 * it over one page at a time inside a transaction, so two processes catching up at
 * once never fold an event twice.
 */
export interface ReadModelStore {
	/**
	 * Reads up to `pageSize` events past the checkpoint and the rows of their payments,
	 * lets `fold` change those rows, then writes the rows and the new checkpoint, all in
	 * one transaction. Resolves with how many events were folded (0: caught up). The
	 * page's events come without their bodies (`body` null): no fold reads one.
	 */
	foldPage(pageSize: number, fold: (page: StoredEvent[], rows: Map<number, PaymentRow>) => void): Promise<number>;
	/** Drops every row and the checkpoint. */
	reset(): Promise<void>;
	get(citybaseId: number): Promise<PaymentRow | null>;
	/** Every row, by CityBase id. */
	rows(): AsyncIterable<PaymentRow>;
	count(): Promise<number>;
}

/**
 * Which stuck payments the Stuck page asks for; every field narrows. `stuckBefore`: stuck
 * since before that time (the page's age filter).
 */
export interface StuckFilter {
	app?: string;
	status?: string;
	trouble?: Trouble;
	stuckBefore?: number;
}

/** A place in the list of stuck payments, which is ordered by when each got stuck, then by id. */
export interface StuckCursor {
	stuckSince: number;
	citybaseId: number;
}

/** How many payments are stuck with this app, status and trouble: the store keeps these as the rows change. */
export interface StuckCount {
	app: string;
	status: string;
	trouble: Trouble;
	n: number;
}

/** A payment a search found, by which of its keys (lower-cased) and what that key is. */
export interface PaymentMatch {
	row: PaymentRow;
	key: string;
	field: SearchField;
}

export type SearchField = "payment" | "invoice" | "transaction" | "reservation" | "message" | "refund record";

/**
 * The questions operators ask of the payments read model. Each reads an index and at
 * most `limit` rows (or the few stuck counts), so its cost stays the same however many
 * payments the log holds or how many are stuck.
 */
export interface PaymentQueries {
	/** Stuck payments matching `filter`, oldest first: the `limit` just after `after`, or just before `before`. */
	stuck(filter: StuckFilter, page: { after?: StuckCursor; before?: StuckCursor; limit: number }): Promise<PaymentRow[]>;
	/** Every (app, status, trouble) with stuck payments, and how many. */
	stuckCounts(): Promise<StuckCount[]>;
	/** How many stuck payments match, counted up to `cap` (so a count stops there). */
	countStuck(filter: StuckFilter, cap: number): Promise<number>;
	/**
	 * Payments with a key (CityBase id, invoice, a Knack record id) that starts with
	 * `prefix` (lower-cased, as keys are kept), by key then payment: an exact key first.
	 */
	search(prefix: string, limit: number): Promise<PaymentMatch[]>;
	/** Payments by their last delivery's position, newest first: the `limit` just before `before`, or just after `after`. */
	recent(page: { before?: number; after?: number; limit: number }): Promise<PaymentRow[]>;
	/** The log position the read model has folded to. */
	foldedTo(): Promise<number>;
}

/** Read-only questions about the log that only operators ask. */
export interface DeliveryFilter {
	citybaseId?: number;
	invoice?: string;
	status?: string;
	since?: number;
	until?: number;
	rejectedOnly?: boolean;
}

export interface DeliveryRow {
	deliverySeq: number;
	receivedAt: number;
	accepted: boolean;
	citybaseId: number | null;
	status: string | null;
	invoice: string | null;
	reason: string | null;
}

export interface DeliverySummary {
	succeeded: number;
	failed: number;
	applied: boolean;
	deadLettered: boolean;
}

export interface OperatorQueries {
	/** Deliveries by their verdict event (which carries the payment id, status and invoice), newest first; limit 0: all. */
	listDeliveries(filter: DeliveryFilter, limit: number): Promise<DeliveryRow[]>;
	/** How far each delivery got: Knack outcomes and whether it was applied or dead-lettered. */
	deliverySummaries(deliverySeqs: number[]): Promise<Map<number, DeliverySummary>>;
	/** Dead-lettered deliveries that no replay has applied since, oldest first. */
	openDeadLetters(limit: number): Promise<number[]>;
	/** How many deliveries were accepted with positions in [from, to]. */
	countAccepted(from: number, to: number): Promise<number>;
	/**
	 * Those accepted deliveries themselves, oldest first, read in pages: only what selects a
	 * (payment, status), so a replay of the whole log reads no other event, body or data.
	 */
	acceptedIn(from: number, to: number): AsyncIterable<AcceptedRef>;
	/** The events of many payments at once, without bodies (their `delivery.received` excluded), by payment. */
	paymentsEvents(citybaseIds: number[]): Promise<Map<number, StoredEvent[]>>;
	/** The projection claims held right now, by key: few at any time. */
	currentClaims(): Promise<Map<string, { holder: string; expiresAt: number }>>;
	/**
	 * The recovery backlog, for health: accepted deliveries neither applied nor
	 * dead-lettered, when the oldest of them was received, and how many deliveries were
	 * dead-lettered at or after `deadLetteredSince`. Asked every few seconds, so it must
	 * not read the whole log each time.
	 */
	backlog(deadLetteredSince: number): Promise<Backlog>;
}

/** An accepted delivery's position and the (payment, status) it was for. */
export interface AcceptedRef {
	seq: number;
	citybaseId: number;
	status: string;
}

export interface Backlog {
	pending: number;
	oldestReceivedAt: number | null;
	deadLettered: number;
}

/** Named positions in the log, such as where an interrupted forced replay stopped. */
export interface CursorStore {
	read(name: string): Promise<number>;
	write(name: string, position: number): Promise<void>;
	clear(name: string): Promise<void>;
}

/** An event as exported and imported: the stored shape, with `data` as its JSON text. */
export type ImportedEvent = Omit<StoredEvent, "type" | "body" | "data"> & {
	type: string;
	body: Uint8Array | null;
	data: string | null;
};

/**
 * With keys, a body that comes in clear is sealed with the current key as it is imported
 * (so an export from before encryption moves into an encrypted store); a sealed body is
 * kept byte for byte. A body is the same as the stored one when both open to the same bytes.
 */
export interface Importer {
	/** "present" when the same event is already at its position; a different one there is an error */
	check(event: ImportedEvent, lineNumber: number): Promise<"new" | "present">;
	/** Adds the new events of a batch in one transaction; the whole batch is refused on a conflict. */
	apply(batch: { event: ImportedEvent; lineNumber: number }[]): Promise<{ inserted: number; skipped: number }>;
}

/** The log in and out of the store: NDJSON export and import keep every event's position. */
export interface LogTransfer {
	/** Export events recorded at or after `since`, in log order, read in pages. */
	events(options?: { since?: number; pageSize?: number }): AsyncIterable<ImportedEvent>;
	importer(): Importer;
	/** A consistent copy of the live store at `path`, checked once written; never overwrites. */
	backup(path: string): Promise<{ events: number; bytes: number }>;
}

/** A failure of an export, import or backup, with a message meant for the operator. */
export class TransferError extends Error {}

/**
 * The Knack budget every process shares: recent grants per app and the quota Knack last
 * reported. `take` runs `decide` on them and records a grant in one short transaction,
 * so no two processes can both take the last slot of a second.
 */
export interface KnackBudgetStore {
	take(
		app: string,
		now: number,
		decide: (state: { recent: Grant[]; quota: QuotaState | null }) => Decision,
		priority: Priority,
	): Promise<Decision>;
	/** The quota headers of a Knack answer: they replace what was known, and the count of grants since starts again. */
	recordQuota(app: string, quota: Omit<QuotaState, "grantedSince">): Promise<void>;
	quotas(): Promise<Map<string, QuotaState>>;
	/** Grants of the last minute, every process's, for estimating what live traffic uses. */
	recentGrants(app: string, now: number): Promise<Grant[]>;
}

/**
 * A console sign-in as the store keeps it: under a SHA-256 hash of its id, never the id
 * itself, so a copy of the store (a backup, a dump) hands out no live session. Times in
 * milliseconds since the epoch.
 */
export interface StoredConsoleSession {
	idHash: string;
	/** sent in a hidden field with every console form that changes something, checked on every POST */
	csrf: string;
	/** as typed at sign-in: recorded with every repair */
	name: string;
	createdAt: number;
	lastSeen: number;
}

/**
 * Console sign-ins, in the store so every instance on it serves a signed-in operator and
 * a restart keeps them. Mutable operational state, as the claims and the budget are: no
 * event records them and no export carries them. When a session ends is the console's
 * rule (`console/session.ts`); the store only keeps them and drops the ones it is told.
 */
export interface ConsoleSessionStore {
	create(session: StoredConsoleSession): Promise<void>;
	get(idHash: string): Promise<StoredConsoleSession | null>;
	/** Moves the session's `lastSeen` to `at`, never back. */
	touch(idHash: string, at: number): Promise<void>;
	delete(idHash: string): Promise<void>;
	/** Drops every session last seen before `lastSeenBefore` or created before `createdBefore`; resolves with how many. */
	prune(lastSeenBefore: number, createdBefore: number): Promise<number>;
}

/** What one payment's part of an operator job came to. */
export interface JobResult {
	state: "done" | "nothing" | "failed" | "quota";
	/** as the CLI would print it (`outcomeText`) */
	text: string;
}

/**
 * Operator work that outlives the request that asked for it (Retry all shown): who asked,
 * for which payments, and how far it got. Its audit is an event in the log, recorded
 * before any Knack call (`audited`); `auditFrom` is the log's end before that event, where
 * a job taken over looks for it. A job is run by the instance that holds its lease, renewed
 * as it goes: one whose holder stopped is taken over by another instance, or by the same
 * one once it starts again.
 */
export interface OperatorJob {
	id: string;
	who: string;
	by: "console" | "cli";
	/** what was asked, in words: "Retry all shown: 50 stuck payments (Street Banner, Knack 5xx)" */
	what: string;
	payments: number[];
	createdAt: number;
	state: "running" | "finished" | "stopped";
	/** by CityBase payment id, for the payments done so far */
	results: Record<string, JobResult>;
	/** why it stopped before the end (the daily quota's reserve), else null */
	note: string | null;
	holder: string | null;
	leaseUntil: number;
	auditFrom: number;
	audited: boolean;
	finishedAt: number | null;
}

/** Operator jobs: mutable operational state, as claims and sessions are (no event records it, no export carries it). */
export interface OperatorJobStore {
	create(job: OperatorJob): Promise<void>;
	get(id: string): Promise<OperatorJob | null>;
	/** The newest jobs first. */
	recent(limit: number): Promise<OperatorJob[]>;
	/** The jobs that cover this payment, newest first. */
	covering(citybaseId: number): Promise<OperatorJob[]>;
	/** Takes the oldest running job whose lease ran out, for `holder` until `leaseUntil`; null when there is none. */
	takeOver(holder: string, now: number, leaseUntil: number): Promise<OperatorJob | null>;
	/**
	 * Saves the job's progress and renews its lease, if `holder` still holds it; false when
	 * another took it over meanwhile (then this holder must stop).
	 */
	save(
		id: string,
		holder: string,
		changes: Partial<Pick<OperatorJob, "results" | "leaseUntil" | "audited" | "state" | "note" | "finishedAt">>,
	): Promise<boolean>;
}

export interface OpenOptions {
	/**
	 * Only to read it: nothing on disk changes (no migration, no WAL switch, no file made
	 * beside it), so a store this process may not write opens too; every write is refused.
	 */
	readOnly?: boolean;
}

/** A store that cannot be opened as asked, with a message meant for the operator. */
export class StorageOpenError extends Error {}

/** A write asked of a store opened read-only. */
export class ReadOnlyStorageError extends Error {}

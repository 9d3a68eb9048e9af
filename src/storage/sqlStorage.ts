import type { Keyring } from "../events/bodyKeys.ts";
import { createEventStore } from "./eventLog.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createOperatorJobStore } from "./operatorJobs.ts";
import { createOperatorQueries } from "./operatorQueries.ts";
import { createPaymentQueries } from "./paymentQueries.ts";
import { createCursorStore, createReadModelStore } from "./readModel.ts";
import { refuseWrites } from "./readOnly.ts";
import { createSessionStore } from "./sessions.ts";
import { command, type Dialect, type Executor } from "./sql.ts";
import type { KnackBudgetStore, LogTransfer, Storage, StoreProbe } from "./storage.ts";
import { createTransfer } from "./transfer.ts";
import { trackUnfinished } from "./unfinished.ts";

/** What a dialect's store brings of its own to the storage written once. */
export interface StoreParts {
	exec: Executor;
	dialect: Dialect;
	location: string;
	keyring: Keyring | null;
	readOnly: boolean;
	/** the shared budget, on its own connection where that is how its commits skip the flush */
	budget: KnackBudgetStore;
	backup: LogTransfer["backup"];
	freeBytes: StoreProbe["freeBytes"];
	close(): Promise<void>;
}

export function sqlStorage(parts: StoreParts): Storage {
	const { exec, dialect: d } = parts;
	const unfinished = trackUnfinished(exec, d);
	const storage: Storage = {
		location: parts.location,
		events: createEventStore(exec, d, createGroupCommitter(exec, d), parts.keyring, unfinished),
		readModel: createReadModelStore(exec, d),
		payments: createPaymentQueries(exec, d),
		queries: createOperatorQueries(exec, d, unfinished),
		cursors: createCursorStore(exec),
		transfer: createTransfer(exec, d, parts.keyring, parts.backup),
		budget: parts.budget,
		sessions: createSessionStore(exec),
		jobs: createOperatorJobStore(exec, d),
		probe: {
			/**
			 * A row of its own table inserted and deleted in one transaction: its pages are still
			 * committed and flushed as a postback's are, so a full disk, a read-only file or role,
			 * or a lost connection fails it as it would fail a postback, yet nothing is left
			 * behind. A write rolled back instead would prove nothing: SQLite never writes the
			 * pages of a transaction it rolls back. It does not take the log's lock: it proves the
			 * store writes, not that the log is free.
			 */
			write: () =>
				exec.transaction(function* () {
					yield* command("insert into health_probe (at) values (?)", Date.now());
					yield* command("delete from health_probe");
				}),
			freeBytes: parts.freeBytes,
		},
		close: parts.close,
	};
	return parts.readOnly ? refuseWrites(storage) : storage;
}

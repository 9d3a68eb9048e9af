import type { Keyring } from "../../events/bodyKeys.ts";
import { createLocalBudgetStore } from "../localBudget.ts";
import { refuseWrites } from "../readOnly.ts";
import type { OpenOptions, Storage } from "../storage.ts";
import { createSqliteBudgetStore } from "./budget.ts";
import { createSqliteCursorStore } from "./cursors.ts";
import { openDatabase } from "./database.ts";
import { createSqliteEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createSqlitePending } from "./pending.ts";
import { createSqliteProbe } from "./probe.ts";
import { createSqliteOperatorQueries } from "./queries.ts";
import { createSqliteReadModelStore } from "./readModel.ts";
import { openReadOnlyDatabase } from "./readOnlyDatabase.ts";
import { createSqliteSessionStore } from "./sessions.ts";
import { createSqliteTransfer } from "./transfer.ts";

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open unless
 * read-only. With a keyring, delivery bodies are sealed before they reach the file;
 * reads return them as stored.
 */
export function openSqliteStorage(
	path: string,
	{ readOnly = false, keyring = null }: OpenOptions & { keyring?: Keyring | null } = {},
): Storage {
	const open = readOnly ? openReadOnlyDatabase(path) : openDatabase(path);
	// A copy this process may not write shares its Knack budget with no one: it keeps its own.
	const budget = readOnly ? { budget: createLocalBudgetStore(), close() {} } : createSqliteBudgetStore(open);
	const committer = createGroupCommitter(open.db);
	const pending = createSqlitePending(open);
	const storage: Storage = {
		location: path,
		events: createSqliteEventStore(open, committer, keyring, pending),
		readModel: createSqliteReadModelStore(open),
		queries: createSqliteOperatorQueries(open, pending),
		cursors: createSqliteCursorStore(open),
		transfer: createSqliteTransfer(open, keyring),
		budget: budget.budget,
		sessions: createSqliteSessionStore(open),
		probe: createSqliteProbe(path, committer),
		async close() {
			budget.close();
			open.sqlite.close();
		},
	};
	return readOnly ? refuseWrites(storage) : storage;
}

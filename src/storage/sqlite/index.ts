import type { Keyring } from "../../events/bodyKeys.ts";
import type { Storage } from "../storage.ts";
import { createSqliteBudgetStore } from "./budget.ts";
import { createSqliteCursorStore } from "./cursors.ts";
import { openDatabase } from "./database.ts";
import { createSqliteEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createSqliteOperatorQueries } from "./queries.ts";
import { createSqliteReadModelStore } from "./readModel.ts";
import { createSqliteTransfer } from "./transfer.ts";

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open. With a
 * keyring, delivery bodies are sealed before they reach the file; reads return them as stored.
 */
export function openSqliteStorage(path: string, keyring: Keyring | null = null): Storage {
	const open = openDatabase(path);
	const budget = createSqliteBudgetStore(open);
	return {
		location: path,
		events: createSqliteEventStore(open, createGroupCommitter(open.db), keyring),
		readModel: createSqliteReadModelStore(open),
		queries: createSqliteOperatorQueries(open),
		cursors: createSqliteCursorStore(open),
		transfer: createSqliteTransfer(open, keyring),
		budget: budget.budget,
		async close() {
			budget.close();
			open.sqlite.close();
		},
	};
}

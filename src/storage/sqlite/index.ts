import { refuseWrites } from "../readOnly.ts";
import type { OpenOptions, Storage } from "../storage.ts";
import { createSqliteCursorStore } from "./cursors.ts";
import { openDatabase } from "./database.ts";
import { createSqliteEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createSqliteOperatorQueries } from "./queries.ts";
import { createSqliteReadModelStore } from "./readModel.ts";
import { openReadOnlyDatabase } from "./readOnlyDatabase.ts";
import { createSqliteTransfer } from "./transfer.ts";

/** The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open unless read-only. */
export function openSqliteStorage(path: string, { readOnly = false }: OpenOptions = {}): Storage {
	const open = readOnly ? openReadOnlyDatabase(path) : openDatabase(path);
	const storage: Storage = {
		location: path,
		events: createSqliteEventStore(open, createGroupCommitter(open.db)),
		readModel: createSqliteReadModelStore(open),
		queries: createSqliteOperatorQueries(open),
		cursors: createSqliteCursorStore(open),
		transfer: createSqliteTransfer(open),
		async close() {
			open.sqlite.close();
		},
	};
	return readOnly ? refuseWrites(storage) : storage;
}

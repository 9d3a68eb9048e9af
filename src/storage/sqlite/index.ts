import type { Storage } from "../storage.ts";
import { createSqliteCursorStore } from "./cursors.ts";
import { openDatabase } from "./database.ts";
import { createSqliteEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createSqliteProbe } from "./probe.ts";
import { createSqliteOperatorQueries } from "./queries.ts";
import { createSqliteReadModelStore } from "./readModel.ts";
import { createSqliteTransfer } from "./transfer.ts";

/** The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open. */
export function openSqliteStorage(path: string): Storage {
	const open = openDatabase(path);
	const committer = createGroupCommitter(open.db);
	return {
		location: path,
		events: createSqliteEventStore(open, committer),
		readModel: createSqliteReadModelStore(open),
		queries: createSqliteOperatorQueries(open),
		cursors: createSqliteCursorStore(open),
		transfer: createSqliteTransfer(open),
		probe: createSqliteProbe(path, committer),
		async close() {
			open.sqlite.close();
		},
	};
}

import type { Storage } from "../storage.ts";
import { createPostgresCursorStore } from "./cursors.ts";
import { openDatabase, redactedLocation } from "./database.ts";
import { createPostgresEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createPostgresOperatorQueries } from "./queries.ts";
import { createPostgresReadModelStore } from "./readModel.ts";
import { createPostgresTransfer } from "./transfer.ts";

/** The shared store: one PostgreSQL database that several instances use at once, migrated on open. */
export async function openPostgresStorage(url: string): Promise<Storage> {
	const open = await openDatabase(url);
	return {
		location: redactedLocation(url),
		events: createPostgresEventStore(open, createGroupCommitter(open.db)),
		readModel: createPostgresReadModelStore(open),
		queries: createPostgresOperatorQueries(open),
		cursors: createPostgresCursorStore(open),
		transfer: createPostgresTransfer(open),
		async close() {
			await open.client.end({ timeout: 5 });
		},
	};
}

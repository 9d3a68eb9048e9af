import type { Keyring } from "../../events/bodyKeys.ts";
import { createLocalBudgetStore } from "../localBudget.ts";
import { refuseWrites } from "../readOnly.ts";
import type { OpenOptions, Storage } from "../storage.ts";
import { createPostgresBudgetStore } from "./budget.ts";
import { createPostgresCursorStore } from "./cursors.ts";
import { openDatabase, redactedLocation } from "./database.ts";
import { createPostgresEventStore } from "./eventStore.ts";
import { createGroupCommitter } from "./groupCommit.ts";
import { createPostgresPending } from "./pending.ts";
import { createPostgresProbe } from "./probe.ts";
import { createPostgresOperatorQueries } from "./queries.ts";
import { createPostgresReadModelStore } from "./readModel.ts";
import { createPostgresSessionStore } from "./sessions.ts";
import { createPostgresTransfer } from "./transfer.ts";

/**
 * The shared store: one PostgreSQL database that several instances use at once, migrated
 * on open unless read-only. With a keyring, delivery bodies are sealed before they reach
 * the server; reads return them as stored.
 */
export async function openPostgresStorage(
	url: string,
	{ readOnly = false, keyring = null }: OpenOptions & { keyring?: Keyring | null } = {},
): Promise<Storage> {
	const open = await openDatabase(url, { readOnly });
	const pending = createPostgresPending(open);
	const storage: Storage = {
		location: redactedLocation(url),
		events: createPostgresEventStore(open, createGroupCommitter(open.db), keyring, pending),
		readModel: createPostgresReadModelStore(open),
		queries: createPostgresOperatorQueries(open, pending),
		cursors: createPostgresCursorStore(open),
		transfer: createPostgresTransfer(open, keyring),
		// A read-only session cannot record grants: it keeps its own budget, as a read-only SQLite copy does.
		budget: readOnly ? createLocalBudgetStore() : createPostgresBudgetStore(open),
		sessions: createPostgresSessionStore(open),
		probe: createPostgresProbe(open),
		async close() {
			await open.client.end({ timeout: 5 });
		},
	};
	return readOnly ? refuseWrites(storage) : storage;
}

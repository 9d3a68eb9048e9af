import { statSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import type { Keyring } from "../../events/bodyKeys.ts";
import { createBudgetStore } from "../budget.ts";
import { exportLine, parseExportLine } from "../exportFormat.ts";
import { sqlStorage } from "../sqlStorage.ts";
import { type OpenOptions, type Storage, TransferError } from "../storage.ts";
import { exportedEvents } from "../transfer.ts";
import { openDatabase, redactedLocation } from "./database.ts";
import { postgresDialect } from "./dialect.ts";

/**
 * The shared store: one PostgreSQL database that several instances use at once, migrated
 * on open unless read-only. With a keyring, delivery bodies are sealed before they reach
 * the server; reads return them as stored.
 */
export async function openPostgresStorage(
	url: string,
	{ readOnly = false, keyring = null }: OpenOptions & { keyring?: Keyring | null } = {},
): Promise<Storage> {
	const { client, exec } = await openDatabase(url, { readOnly });
	// A read-only session cannot record grants: it keeps its own budget, as a read-only SQLite copy does.
	const budget = readOnly
		? (await import("../sqlite/index.ts")).localBudget()
		: { store: createBudgetStore(exec, postgresDialect), close() {} };
	return sqlStorage({
		exec,
		dialect: postgresDialect,
		location: redactedLocation(url),
		keyring,
		readOnly,
		budget: budget.store,
		/**
		 * The log as an NDJSON export at `path` (the format `import` reads), from one
		 * repeatable-read snapshot so the service may keep writing; then checked by reading
		 * every line back. Never overwrites a file. Not pg_dump: it need not be installed
		 * beside the service, and an export restores into either store.
		 */
		async backup(path) {
			const file = await openFile(path, "wx").catch((error: NodeJS.ErrnoException) => {
				if (error.code === "EEXIST")
					throw new TransferError(`${path} already exists: a backup never overwrites a file`);
				throw error;
			});
			try {
				await exec.snapshot(async (reader) => {
					let chunk = "";
					for await (const event of exportedEvents(reader, postgresDialect, Number.NEGATIVE_INFINITY, 2000)) {
						chunk += `${exportLine(event)}\n`;
						if (chunk.length > 1 << 20) {
							await file.write(chunk);
							chunk = "";
						}
					}
					await file.write(chunk);
				});
				await file.sync();
			} finally {
				await file.close();
			}
			return { events: await checkBackup(path), bytes: statSync(path).size };
		},
		// The disk is the server's, out of this process's sight.
		freeBytes: async () => null,
		async close() {
			budget.close();
			await client.end({ timeout: 5 });
		},
	});
}

async function checkBackup(path: string): Promise<number> {
	let count = 0;
	let previous = 0;
	for (const [i, line] of (await Bun.file(path).text()).split("\n").entries()) {
		if (line === "") continue;
		const { seq } = parseExportLine(line, i + 1);
		if (seq <= previous)
			throw new TransferError(`the backup at ${path} failed its check: line ${i + 1} is out of order`);
		previous = seq;
		count++;
	}
	return count;
}

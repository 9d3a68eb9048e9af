import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { openSqliteStorage } from "../../src/storage/sqlite/index.ts";
import { ReadOnlyStorageError, type Storage, StorageOpenError } from "../../src/storage/storage.ts";

/**
 * The SQLite store opened read-only: what it reads, what it refuses, and that the files
 * stay as they were. Permissions (a folder it may not write) are the CLI's test
 * (test/cli/read-only.test.ts), which runs as an unprivileged user.
 */

const withDir = async (work: (dir: string) => Promise<void>) => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-readonly-"));
	try {
		await work(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
};

const delivery = (n: number) => ({
	receivedAt: n,
	body: new TextEncoder().encode(`{"n":${n}}`),
	contentType: "application/json",
	remoteAddress: null,
	requestId: null,
});

async function storeWith(path: string, deliveries: number): Promise<Storage> {
	const storage = openSqliteStorage(path);
	for (let n = 1; n <= deliveries; n++)
		await storage.events.appendDelivery(delivery(n), { accepted: false, reason: "test" });
	return storage;
}

const snapshot = (dir: string) =>
	Object.fromEntries(readdirSync(dir).map((name) => [name, Bun.hash(readFileSync(join(dir, name))).toString()]));

test("a copy of a live store reads the commits still in its -wal, and refuses every write by name", () =>
	withDir(async (dir) => {
		const live = join(dir, "live");
		const copy = join(dir, "copy");
		for (const d of [live, copy]) Bun.spawnSync(["mkdir", d]);
		const service = await storeWith(join(live, "events.sqlite"), 3);
		// The commits stay in the -wal, as in a folder copied while the service runs.
		expect(existsSync(join(live, "events.sqlite-wal"))).toBe(true);
		for (const name of readdirSync(live)) copyFileSync(join(live, name), join(copy, name));
		await service.close();
		const before = snapshot(copy);

		const storage = openSqliteStorage(join(copy, "events.sqlite"), { readOnly: true });
		expect(await storage.events.lastSeq()).toBe(6);
		expect((await storage.events.get(1))?.body).toEqual(delivery(1).body);
		const refusal = storage.events.appendDelivery(delivery(4), { accepted: false, reason: "test" });
		await expect(refusal).rejects.toThrow(ReadOnlyStorageError);
		await expect(refusal).rejects.toThrow(`the store at ${join(copy, "events.sqlite")} is open read-only`);
		await expect(storage.readModel.reset()).rejects.toThrow("cannot reset the payments read model");
		await expect(storage.cursors.write("x", 1)).rejects.toThrow("cannot move a replay cursor");
		expect(() => storage.transfer.importer()).toThrow("cannot import events");
		expect(await storage.sessions.get("nobody")).toBeNull();
		await expect(storage.sessions.prune(1, 1)).rejects.toThrow("cannot prune console sessions");
		await storage.close();
		expect(snapshot(copy)).toEqual(before);
	}));

test("a file with nothing beside it (a backup) is read as it is: no -wal or -shm is made", () =>
	withDir(async (dir) => {
		const service = await storeWith(join(dir, "events.sqlite"), 2);
		const backup = join(dir, "backup.sqlite");
		await service.transfer.backup(backup);
		await service.close();
		const before = snapshot(dir);

		const storage = openSqliteStorage(backup, { readOnly: true });
		expect(await storage.events.lastSeq()).toBe(4);
		const exported = [];
		for await (const event of storage.transfer.events()) exported.push(event.seq);
		expect(exported).toEqual([1, 2, 3, 4]);
		// A backup of the read-only store is a read of it.
		await storage.transfer.backup(join(dir, "second.sqlite"));
		await storage.close();
		const after = snapshot(dir);
		expect(Object.keys(after).sort()).toEqual([...Object.keys(before), "second.sqlite"].sort());
		expect({ ...after, "second.sqlite": undefined }).toEqual({ ...before, "second.sqlite": undefined });
	}));

test("a schema this code does not know is refused, not read: no ledger, an older one, a newer one", () =>
	withDir(async (dir) => {
		const stranger = join(dir, "stranger.sqlite");
		new Database(stranger, { create: true }).run("create table events (seq integer)");
		expect(() => openSqliteStorage(stranger, { readOnly: true })).toThrow(
			`${stranger} is not an event store of this service: it has no __drizzle_migrations table`,
		);

		const path = join(dir, "events.sqlite");
		await (await storeWith(path, 0)).close();
		const ledger = new Database(path);
		const last = ledger
			.query<{ createdAt: number }, []>("select max(created_at) as createdAt from __drizzle_migrations")
			.get()?.createdAt;
		ledger.run("insert into __drizzle_migrations (hash, created_at) values ('future', ?1)", [Number(last) + 1]);
		expect(() => openSqliteStorage(path, { readOnly: true })).toThrow(StorageOpenError);
		expect(() => openSqliteStorage(path, { readOnly: true })).toThrow("written by a newer version");

		ledger.run("delete from __drizzle_migrations where created_at >= ?1", [Number(last)]);
		const migrations = readMigrationFiles({ migrationsFolder: join(import.meta.dir, "..", "..", "drizzle") }).length;
		expect(() => openSqliteStorage(path, { readOnly: true })).toThrow(
			`lacks 1 of this version's ${migrations} schema migrations, and a read-only open cannot apply them`,
		);
		ledger.close();
	}));

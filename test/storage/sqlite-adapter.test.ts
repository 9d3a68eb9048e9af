import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate as drizzleMigrate } from "drizzle-orm/bun-sqlite/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { decryptBody } from "../../src/events/bodyCipher.ts";
import { createGroupCommitter } from "../../src/storage/groupCommit.ts";
import { command } from "../../src/storage/sql.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { sqliteDialect, sqliteExecutor } from "../../src/storage/sqlite/dialect.ts";
import { sqliteStorage } from "../../src/storage/sqlite/index.ts";
import { keyring as keyringOf } from "../support/keys.ts";
import { walCommits } from "../support/walCommits.ts";

/** The store on a real SQLite file: starting up beside another process, and group commit. */

const withDir = async (work: (dir: string) => Promise<void>) => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-store-"));
	try {
		await work(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
};

const migrationsFolder = join(import.meta.dir, "..", "..", "drizzle");
const ledgerRows = (sqlite: Database) =>
	sqlite.query<{ hash: string }, []>("select hash from __drizzle_migrations order by created_at").all();

test("processes opening new databases at the same moment all start, and each migration is applied once", () =>
	withDir(async (dir) => {
		// Each opener opens the same series of new files, one every 30 ms from a common
		// start, so the three meet on every file at the switch to WAL and at the migrations.
		const files = 40;
		const script = `import { openDatabase } from ${JSON.stringify(join(import.meta.dir, "../../src/storage/sqlite/database.ts"))};
const [dir, start] = process.argv.slice(2);
for (let i = 0; i < ${files}; i++) {
	while (Date.now() < Number(start) + i * 30) {}
	openDatabase(dir + "/race-" + i + ".sqlite").close();
}`;
		const opener = join(dir, "open.ts");
		await Bun.write(opener, script);
		const start = Date.now() + 500;
		const children = [0, 1, 2].map(() =>
			Bun.spawn([process.execPath, opener, dir, String(start)], { stdout: "ignore", stderr: "pipe" }),
		);
		const codes = await Promise.all(children.map((c) => c.exited));
		const errors = await Promise.all(children.map((c) => new Response(c.stderr).text()));
		expect({ codes, errors: errors.filter(Boolean) }).toEqual({ codes: [0, 0, 0], errors: [] });
		const expected = readMigrationFiles({ migrationsFolder }).map((m) => ({ hash: m.hash }));
		for (let i = 0; i < files; i++) {
			const database = new Database(join(dir, `race-${i}.sqlite`));
			expect(ledgerRows(database)).toEqual(expected);
			database.close();
		}
	}));

test("a database migrated by drizzle's own migrator is recognised: nothing is applied again", () =>
	withDir(async (dir) => {
		const path = join(dir, "drizzle-migrated.sqlite");
		const byDrizzle = new Database(path, { create: true });
		drizzleMigrate(drizzle({ client: byDrizzle }), { migrationsFolder });
		const before = ledgerRows(byDrizzle);
		byDrizzle.close();
		const reopened = openDatabase(path);
		expect(ledgerRows(reopened)).toEqual(before);
		expect(before).toHaveLength(readMigrationFiles({ migrationsFolder }).length);
		reopened.close();
	}));

test("writes asked for together commit together; a failing one rolls back only itself", () =>
	withDir(async (dir) => {
		const path = join(dir, "group.sqlite");
		const database = openDatabase(path);
		// No checkpoint may reset the WAL while the commits are counted.
		database.run("PRAGMA wal_autocheckpoint = 0");
		const committer = createGroupCommitter(sqliteExecutor(database), sqliteDialect);
		const before = walCommits(`${path}-wal`);
		const row = (type: string) => ({ type, recordedAt: 1 });
		const results = await Promise.allSettled([
			committer.append(row("a")),
			committer.write(function* () {
				yield* command("insert into nowhere values (1)");
			}),
			committer.write(function* (log) {
				log.append(row("half-done"));
				yield* command("insert into checkpoints (name, position) values ('half-done', 1)");
				throw new Error("and takes its own half-done insert with it");
			}),
			committer.append(row("b")),
		]);
		expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
		const types = database.query<{ type: string; seq: number }, []>("select type, seq from events order by seq").all();
		// The failed writes gave their positions back: the log has no gap.
		expect(types).toEqual([
			{ type: "a", seq: 1 },
			{ type: "b", seq: 2 },
		]);
		expect(database.query("select * from checkpoints").all()).toEqual([]);
		// Together means one transaction (one fsync) for the four writes, not one per write.
		expect(walCommits(`${path}-wal`) - before).toBe(1);
		database.close();
	}));

test("an append is durable before it resolves: synchronous=FULL on its connection, and a second connection sees it at once", () =>
	withDir(async (dir) => {
		const path = join(dir, "durable.sqlite");
		const opened = openDatabase(path);
		const storage = sqliteStorage(opened, path);
		const store = storage.events;
		const body = new TextEncoder().encode("{}");
		const appended = await Promise.all(
			[1, 2, 3].map(() =>
				store.appendDelivery(
					{ receivedAt: 1, body, contentType: "application/json", remoteAddress: null, requestId: null },
					{ accepted: false, reason: "test" },
				),
			),
		);
		const reader = openDatabase(path);
		const count = reader.query<{ n: number }, []>("select count(*) as n from events").get();
		expect(count?.n).toBe(6);
		expect(new Set(appended.map((a) => a.deliverySeq)).size).toBe(3);
		// What makes a resolved append survive a power cut is the fsync of the WAL at each
		// commit, which in WAL mode only synchronous=FULL (2) or EXTRA (3) does; NORMAL and
		// OFF lose the last commits on a power cut. No test here can cut the power, and
		// kill -9 loses nothing even with OFF (the WAL is already in the OS's cache), so the
		// setting in force on the connection that committed is the observable checked.
		const synchronous = opened.query<{ synchronous: number }, []>("PRAGMA synchronous").get();
		expect(synchronous?.synchronous).toBeGreaterThanOrEqual(2);
		const journal = opened.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get();
		expect(journal?.journal_mode).toBe("wal");
		reader.close();
		await storage.close();
	}));

test("the write probe has a table of its own: it never touches a claim, whatever its key", () =>
	withDir(async (dir) => {
		const path = join(dir, "probe.sqlite");
		const opened = openDatabase(path);
		const storage = sqliteStorage(opened, path);
		await storage.events.claim("health-probe", "a", 1, Date.now(), 60_000);
		await storage.probe.write();
		expect([...(await storage.queries.currentClaims()).keys()]).toEqual(["health-probe"]);
		expect(opened.query("select * from health_probe").all()).toEqual([]);
		await storage.close();
	}));

test("the log refuses updates and deletes, whoever asks: the triggers are in the file", () =>
	withDir(async (dir) => {
		const path = join(dir, "append-only.sqlite");
		const opened = openDatabase(path);
		const storage = sqliteStorage(opened, path);
		const store = storage.events;
		await store.appendDelivery(
			{ receivedAt: 1, body: new Uint8Array(), contentType: null, remoteAddress: null, requestId: null },
			{ accepted: false, reason: "test" },
		);
		const other = new Database(path);
		expect(() => other.run("update events set type = 'x'")).toThrow("append-only");
		expect(() => other.run("delete from events")).toThrow("append-only");
		expect(other.query<{ n: number }, []>("select count(*) as n from events").get()?.n).toBe(2);
		other.close();
		await storage.close();
	}));

const keyring = keyringOf(["k1", 7]);

test("with keys, a body is sealed at the position it is stored at, in a group commit too, and no position is reused", () =>
	withDir(async (dir) => {
		const path = join(dir, "sealed.sqlite");
		const opened = openDatabase(path);
		const storage = sqliteStorage(opened, path, { keyring });
		const store = storage.events;
		const append = (text: string) =>
			store.appendDelivery(
				{
					receivedAt: 1,
					body: new TextEncoder().encode(text),
					contentType: null,
					remoteAddress: null,
					requestId: null,
				},
				{ accepted: false, reason: "test" },
			);
		const texts = Array.from({ length: 8 }, (_, i) => `{"body": ${i}}`);
		const appended = await Promise.all(texts.map(append));
		const opens = async (seq: number, position = seq) => {
			const stored = (await store.get(seq))?.body;
			if (!stored) throw new Error(`no body at ${seq}`);
			const opened = await decryptBody(keyring, stored, position);
			return opened.state === "unreadable" ? opened.state : new TextDecoder().decode(opened.bytes);
		};
		for (const [i, { deliverySeq }] of appended.entries()) {
			expect(await opens(deliverySeq)).toBe(texts[i] as string);
			// Bound to its position: the same bytes read as another event's do not open.
			expect(await opens(deliverySeq, deliverySeq + 1)).toBe("unreadable");
		}

		// Positions removed by hand (past the trigger) stay used, as AUTOINCREMENT keeps them.
		const last = await store.lastSeq();
		opened.run("drop trigger events_no_delete");
		opened.run("delete from events where seq >= ?", [last - 1]);
		const { deliverySeq } = await append('{"after": "delete"}');
		expect(deliverySeq).toBe(last + 1);
		expect(await opens(deliverySeq)).toBe('{"after": "delete"}');
		await storage.close();
	}));

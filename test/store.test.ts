import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/events/database.ts";
import { createGroupCommitter } from "../src/events/groupCommit.ts";
import { events } from "../src/events/schema.ts";
import { createSqliteEventStore } from "../src/events/store.ts";

/** The store on a real SQLite file: starting up beside another process, and group commit. */

const withDir = async (work: (dir: string) => Promise<void>) => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-store-"));
	try {
		await work(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
};

test("two processes opening a new database at the same moment both start (migrations race safely)", () =>
	withDir(async (dir) => {
		const script = `import { openDatabase } from ${JSON.stringify(join(import.meta.dir, "../src/events/database.ts"))};
openDatabase(process.argv[2]).sqlite.close();`;
		const opener = join(dir, "open.ts");
		await Bun.write(opener, script);
		for (let round = 0; round < 6; round++) {
			const path = join(dir, `race-${round}.sqlite`);
			const children = [0, 1].map(() =>
				Bun.spawn([process.execPath, opener, path], { stdout: "ignore", stderr: "pipe" }),
			);
			const codes = await Promise.all(children.map((c) => c.exited));
			const errors = await Promise.all(children.map((c) => new Response(c.stderr).text()));
			expect({ codes, errors: errors.filter(Boolean) }).toEqual({ codes: [0, 0], errors: [] });
		}
	}));

test("writes asked for together commit together; a failing one rolls back only itself", () =>
	withDir(async (dir) => {
		const database = openDatabase(join(dir, "group.sqlite"));
		const committer = createGroupCommitter(database.db);
		const row = (type: string) => ({ type, recordedAt: 1 });
		const results = await Promise.allSettled([
			committer.write((tx) => tx.insert(events).values(row("a")).run()),
			committer.write(() => {
				throw new Error("this write fails");
			}),
			committer.write((tx) => {
				tx.insert(events).values(row("half-done")).run();
				throw new Error("and takes its own half-done insert with it");
			}),
			committer.write((tx) => tx.insert(events).values(row("b")).run()),
		]);
		expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
		const types = database.sqlite.query<{ type: string }, []>("select type from events order by seq").all();
		expect(types.map((t) => t.type)).toEqual(["a", "b"]);
		database.sqlite.close();
	}));

test("an append is durable before it resolves: a second connection sees it at once", () =>
	withDir(async (dir) => {
		const path = join(dir, "durable.sqlite");
		const store = createSqliteEventStore(openDatabase(path));
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
		const count = reader.sqlite.query<{ n: number }, []>("select count(*) as n from events").get();
		expect(count?.n).toBe(6);
		expect(new Set(appended.map((a) => a.deliverySeq)).size).toBe(3);
		reader.sqlite.close();
		store.close();
	}));

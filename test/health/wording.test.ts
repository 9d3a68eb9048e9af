import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { drizzle as drizzleSqlite } from "drizzle-orm/bun-sqlite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { summary, utcTime } from "../../src/health/checks.ts";
import { describeStoreError } from "../../src/health/storeErrors.ts";
import { startHarness } from "../support/harness.ts";
import { skipWithoutPostgres, startPostgres } from "../support/postgres.ts";
import { freshStore } from "../support/store.ts";

/**
 * Health in words: one summary line, times that say their zone, and a store's error
 * described (refused, timed out, gone) without the SQL a driver puts in its message,
 * which goes to the log instead. The errors are real: a real SQLite file, a real
 * PostgreSQL server, a real port nothing listens on.
 */

const noSql = /\b(select|insert|update|delete)\b|params:|Failed query|\$\d/i;

describe("summary: the worst check's reason in one line", () => {
	test("all ok", () => {
		expect(summary({ store: { state: "ok", reason: "writable" }, knack: { state: "ok", reason: "no call yet" } })).toBe(
			"all 2 checks ok",
		);
	});
	test("the worst wins, the first of equals, and the others are counted", () => {
		expect(
			summary({
				store: { state: "ok", reason: "writable" },
				knack: { state: "failing", reason: "STREET_BANNER: Knack refused our credentials (401)" },
				backlog: { state: "degraded", reason: "3 deliveries not yet in Knack" },
				logs: { state: "failing", reason: "12 log lines dropped" },
			}),
		).toBe("knack failing: STREET_BANNER: Knack refused our credentials (401) (also backlog degraded, logs failing)");
	});
});

test("a time in a reason says UTC", () => {
	expect(utcTime(Date.UTC(2026, 11, 7, 0, 0, 30))).toBe("2026-12-07 00:00 UTC");
});

describe("store errors, described", () => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-wording-"));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	test("SQLite: its own words and code, through drizzle's wrapping", () => {
		const path = join(dir, "read-only.sqlite");
		new Database(path).run("create table t (x text)");
		const db = drizzleSqlite({ client: new Database(path, { readonly: true }) });
		let thrown: unknown;
		try {
			db.run(sql`insert into t (x) values (${"secret-value"})`);
		} catch (error) {
			thrown = error;
		}
		const { description, detail } = describeStoreError(thrown);
		expect(description).toBe("attempt to write a readonly database (SQLITE_READONLY)");
		expect(detail).toContain("insert into t");
	});

	test("PostgreSQL not listening: refused, and where to look", async () => {
		const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
		const port = listener.port;
		listener.stop(true);
		const client = postgres(`postgres://citybase@127.0.0.1:${port}/citybase`, { max: 1, connect_timeout: 2 });
		const thrown = await drizzlePostgres({ client })
			.execute(sql`select ${"secret-value"}::text`)
			.catch((error: unknown) => error);
		await client.end({ timeout: 1 });
		const { description, detail } = describeStoreError(thrown);
		expect(description).toBe("the database server refused the connection (is it running?) (ECONNREFUSED)");
		expect(detail).toContain("ECONNREFUSED");
	});

	describe.skipIf(skipWithoutPostgres("store error wording on PostgreSQL"))("on a PostgreSQL server", () => {
		test("a query cut by statement_timeout: timed out, never the query", async () => {
			const server = await startPostgres();
			const url = await server.createDatabase();
			const client = postgres(url, { max: 1, onnotice: () => {} });
			try {
				const db = drizzlePostgres({ client });
				const thrown = await db
					.transaction(async (tx) => {
						await tx.execute(sql`set local statement_timeout = 50`);
						await tx.execute(sql`select pg_sleep(2), ${"secret-value"}::text`);
					})
					.catch((error: unknown) => error);
				const { description, detail } = describeStoreError(thrown);
				expect(description).toBe("a database query timed out (57014)");
				expect(description).not.toMatch(noSql);
				expect(detail).toContain("pg_sleep");
			} finally {
				await client.end({ timeout: 1 });
				await server.dropDatabase(url);
				await server.stop();
			}
		});

		test("the service's database dropped under it: GET / says so in words; the SQL goes to the log", async () => {
			const store = await freshStore("postgres");
			const h = await startHarness({ store, env: { HEALTH_SAMPLE_SECONDS: "0.1" } });
			try {
				const answer = async () => {
					const response = await fetch(`${h.service.url}/`);
					return { code: response.status, text: await response.text() };
				};
				const until = async (
					wanted: (body: { status: string; checks: Record<string, { state: string }> }) => boolean,
				) => {
					for (let i = 0; i < 300; i++) {
						const { code, text } = await answer();
						if (wanted(JSON.parse(text))) return { code, text };
						await Bun.sleep(50);
					}
					throw new Error(`never as wanted: ${(await answer()).text}`);
				};
				await until((b) => b.status === "OK");
				await store.drop();
				const { code, text } = await until((b) => b.checks.backlog?.state === "failing");
				expect(code).toBe(503);
				const body = JSON.parse(text) as { summary: string; checks: { backlog: { reason: string } } };
				expect(body.checks.backlog.reason).toMatch(
					/^the event log could not be read: (the database does not exist|the database server is shutting down|the connection to the database server was lost)/,
				);
				expect(text).not.toMatch(noSql);
				expect(body.summary).toMatch(/^(store|backlog) failing: /);
				await h.flushLogs();
				const logged = h.logs
					.map((l) => JSON.parse(l) as { health_check?: string; health_state?: string; detail?: string })
					.find((l) => l.health_check === "backlog" && l.health_state === "failing");
				expect(logged?.detail).toBeString();
			} finally {
				await h.stop();
			}
		});
	});
});

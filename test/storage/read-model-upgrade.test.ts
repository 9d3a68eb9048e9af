import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle as sqliteDrizzle } from "drizzle-orm/bun-sqlite";
import { migrate as sqliteMigrate } from "drizzle-orm/bun-sqlite/migrator";
import { drizzle as postgresDrizzle } from "drizzle-orm/postgres-js";
import { migrate as postgresMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { parseDelivery } from "../../src/events/payload.ts";
import { EventTypes } from "../../src/events/types.ts";
import { createPaymentsReadModel } from "../../src/projections/payments.ts";
import { openPostgresStorage } from "../../src/storage/postgres/index.ts";
import { openSqliteStorage } from "../../src/storage/sqlite/index.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { postback } from "../support/payloads.ts";
import { skipWithoutPostgres, startPostgres } from "../support/postgres.ts";

/**
 * An existing deployment upgraded to the read model the Stuck page and search read: its
 * payments rows were folded before those columns existed, so the migration that adds them
 * empties the read model, and the service's catch-up folds the whole log again. A store is
 * made at the schema before (drizzle's own migrator, the migrations up to the one that adds
 * the columns), with a delivery in its log and that delivery folded the old way.
 */

const root = join(import.meta.dir, "..", "..", "drizzle");
const FIRST_NEW = "operator_read_model";

/** A folder of the migrations before FIRST_NEW, as drizzle reads one. */
function migrationsBefore(folder: string, dir: string): string {
	const out = join(dir, "old-migrations");
	cpSync(folder, out, { recursive: true });
	const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8"));
	const at = journal.entries.findIndex((e: { tag: string }) => e.tag.endsWith(FIRST_NEW));
	expect(at).toBeGreaterThan(0);
	journal.entries = journal.entries.slice(0, at);
	writeFileSync(join(out, "meta", "_journal.json"), JSON.stringify(journal));
	return out;
}

const body = JSON.stringify(
	postback({
		id: 4242,
		status: "successful",
		invoice: "INV-4242",
		bannerType: "LAMPPOST",
		parentRecordId: "638e5bb01370e500241c3e12",
	}),
);
const verdict = parseDelivery(Buffer.from(body));
if (!verdict.accepted) throw new Error("the upgrade's payment was refused");

/** The old deployment's log and read model, in SQL as its code wrote them (`$n`: PostgreSQL's parameters). */
const oldRows = (p: (n: number) => string): [string, unknown[]][] => [
	[
		`insert into events (seq, type, recorded_at, body, data) values (1, '${EventTypes.received}', 1000, ${p(1)}, ${p(2)})`,
		[Buffer.from(body), JSON.stringify({ contentType: "application/json", remoteAddress: null, requestId: null })],
	],
	[
		`insert into events (seq, type, recorded_at, delivery_seq, citybase_id, payment_status, invoice, data)
		 values (2, '${EventTypes.accepted}', 1000, 1, 4242, 'successful', 'INV-4242', ${p(1)})`,
		[JSON.stringify({ payment: verdict.payment })],
	],
	[
		`insert into payments (citybase_id, app, invoice, latest_status, total_amount, knack_record_id, parent_record_id,
		 knack_records, deliveries, last_delivery_seq, updated_at)
		 values (4242, 'STREET_BANNER', 'INV-4242', 'successful', '60', 'r', null, '{}', 1, 1, 1000)`,
		[],
	],
	["insert into checkpoints (name, position) values ('payments', 2)", []],
];

/**
 * Makes the old store in a scratch folder (`old`), opens it with this code (which applies
 * the new migrations), and checks that its read model is empty and folds the log anew.
 */
async function upgrade(old: (dir: string) => Promise<void>, open: () => Promise<Storage>) {
	const dir = mkdtempSync(join(tmpdir(), "citybase-upgrade-"));
	try {
		await old(dir);
		const storage = await open();
		try {
			expect(await storage.payments.foldedTo()).toBe(0);
			expect(await storage.readModel.count()).toBe(0);
			await createPaymentsReadModel(storage.readModel).catchUp();
			expect(await storage.payments.countStuck({}, 10)).toBe(1);
			expect(await storage.readModel.get(4242)).toMatchObject({
				open: [{ seq: 1 }],
				stuckSince: 1000,
				trouble: "none",
			});
			expect((await storage.payments.search("inv-42", 5)).map((m) => m.row.citybaseId)).toEqual([4242]);
		} finally {
			await storage.close();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe("upgrading a store whose read model was folded before the Stuck page's columns", () => {
	test("SQLite: the migration empties the read model, and the next catch-up folds the log into the new one", async () => {
		let path = "";
		await upgrade(
			async (dir) => {
				path = join(dir, "events.sqlite");
				const old = new Database(path);
				sqliteMigrate(sqliteDrizzle({ client: old }), { migrationsFolder: migrationsBefore(root, dir) });
				for (const [text, params] of oldRows(() => "?")) old.query(text).run(...(params as never[]));
				old.close();
			},
			async () => openSqliteStorage(path),
		);
	});

	const skip = skipWithoutPostgres("the PostgreSQL upgrade test");
	const server = skip ? null : startPostgres();
	afterAll(async () => (await server)?.stop());
	test.skipIf(skip)("PostgreSQL: the same", async () => {
		const url = await (await (server as ReturnType<typeof startPostgres>)).createDatabase();
		await upgrade(
			async (dir) => {
				const old = postgres(url, { max: 1, onnotice: () => {} });
				const migrationsFolder = migrationsBefore(join(root, "pg"), dir);
				await postgresMigrate(postgresDrizzle({ client: old }), { migrationsFolder });
				for (const [text, params] of oldRows((n) => `$${n}`)) await old.unsafe(text, params as never[]);
				await old.end();
			},
			() => openPostgresStorage(url),
		);
	});
});

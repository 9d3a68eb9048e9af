import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bodyProtection } from "../../src/events/bodyCipher.ts";
import { cli, cliEnv, postApplied, successful } from "../cli/support.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { keysValue } from "../support/keys.ts";
import { freshStore, notSqlite } from "../support/store.ts";

/**
 * Bank details posted with EVENT_LOG_KEYS set are in no file of the database folder, no
 * export and no backup, as raw bytes; `events show` masks them unless --reveal, and logs
 * each reveal; an export imported into a store with the same keys reads the same.
 */

const bank = {
	routing: "267084131",
	holder: "Philippa Vandermolen-Quist",
	lastFour: "5083",
};

/**
 * The last four are searched as the JSON string CityBase sends ("5083", quotes included):
 * four bare digits turn up by chance in the timestamps and record ids kept in clear.
 */
const spellings = [bank.routing, bank.holder, `"${bank.lastFour}"`];

function bankPayment(id: number) {
	const body = successful(id);
	Object.assign(body.data, {
		payment_type: "ach",
		credit_card: null,
		bank_account: {
			account_number_last_four: bank.lastFour,
			routing_number: bank.routing,
			bank_account_type: "checking",
			account_holder_name: bank.holder,
		},
	});
	return body;
}

const found = (bytes: Uint8Array) => spellings.filter((s) => Buffer.from(bytes).includes(s));

const keys = keysValue(["ka", 1]);
let h: Harness;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
	h = await startHarness({ env: { EVENT_LOG_KEYS: keys } });
	env = cliEnv(h, { EVENT_LOG_KEYS: keys });
	dir = mkdtempSync(join(tmpdir(), "citybase-bank-"));
	const raw = JSON.stringify(bankPayment(9301));
	for (const s of spellings) expect(raw).toContain(s);
	await postApplied(h, raw);
	// Rejected ones keep their bytes too: as invalid, and as malformed JSON.
	expect((await h.post(raw.replace('"id":9301', '"id":"9302"'))).status).toBe(400);
	expect((await h.post(`${raw}}`)).status).toBe(400);
});
afterAll(async () => {
	await h.stop();
	rmSync(dir, { recursive: true, force: true });
});

const exported = async (environment = env) => {
	const r = await cli(["export"], { env: environment });
	expect(r.code).toBe(0);
	return r.stdout;
};
const bodiesOf = (ndjson: string) =>
	ndjson
		.trim()
		.split("\n")
		.map((line) => JSON.parse(line) as { body: string | null })
		.filter((e) => e.body !== null)
		.map((e) => Buffer.from(e.body as string, "base64"));

describe("no card or bank value can be read from the log's files without a key", () => {
	test.skipIf(notSqlite)("in no file of the database folder (SQLite only: the database, its -wal and -shm)", () => {
		const folder = dirname(h.store.path ?? "");
		const files = readdirSync(folder);
		expect(files).toEqual(expect.arrayContaining(["events.sqlite", "events.sqlite-wal", "events.sqlite-shm"]));
		for (const file of files)
			expect({ file, found: found(readFileSync(join(folder, file))) }).toEqual({ file, found: [] });
	});

	test("in no export, whose bodies decode to envelopes of the current key", async () => {
		const ndjson = await exported();
		expect(found(Buffer.from(ndjson))).toEqual([]);
		const bodies = bodiesOf(ndjson);
		expect(bodies).toHaveLength(3);
		for (const body of bodies) {
			expect(bodyProtection(body)).toEqual({ state: "encrypted", keyId: "ka" });
			expect(found(body)).toEqual([]);
			expect(body.includes(bank.lastFour)).toBe(false);
		}
	});

	test.skipIf(notSqlite)("in no backup (SQLite only: a copy of the file)", async () => {
		const path = join(dir, "backup.sqlite");
		expect((await cli(["backup", path], { env })).code).toBe(0);
		expect(found(readFileSync(path))).toEqual([]);
	});

	test("in no log line of the service", async () => {
		await h.flushLogs();
		expect(h.logs.filter((line) => found(Buffer.from(line)).length > 0)).toEqual([]);
	});
});

describe("events show", () => {
	const deliveries = async () =>
		(JSON.parse((await cli(["events", "list", "--json"], { env })).stdout) as { seq: number }[]).map((d) => d.seq);

	test("decrypts every body with the environment's keys and masks the bank details", async () => {
		for (const seq of await deliveries()) {
			const r = await cli(["events", "show", String(seq)], { env });
			expect(r.code).toBe(0);
			expect(r.stdout).toContain("body (encrypted with key ka):");
			expect(r.stdout).toContain("data");
			expect(found(Buffer.from(r.stdout))).toEqual([]);
			expect(r.stderr).toBe("");
		}
	});

	test("--reveal shows them and logs who revealed which delivery, never the values; --json too", async () => {
		const [seq] = await deliveries();
		const shown = await cli(["events", "show", String(seq), "--reveal"], { env: { ...env, USER: "operator7" } });
		expect(shown.code).toBe(0);
		for (const s of spellings) expect(shown.stdout).toContain(s);
		expect(shown.stderr).toBe(`warning: card and bank details revealed (delivery_seq=${seq}, operator=operator7)\n`);

		const json = await cli(["events", "show", String(seq), "--json", "--reveal", "--as", "Ana Ruiz"], {
			env: { ...env, USER: "op8" },
		});
		const shownJson = JSON.parse(json.stdout);
		expect(shownJson.bodyKey).toBe("ka");
		expect(shownJson.body).toContain(bank.holder);
		expect(json.stderr).toContain(`delivery_seq=${seq}, operator=Ana Ruiz`);

		const masked = JSON.parse((await cli(["events", "show", String(seq), "--json"], { env })).stdout);
		expect(found(Buffer.from(masked.body))).toEqual([]);
	});

	test("without the key, the body is unreadable and names its key; the verdict is still shown", async () => {
		const [seq] = await deliveries();
		const r = await cli(["events", "show", String(seq)], { env: { ...env, EVENT_LOG_KEYS: "" } });
		expect(r.code).toBe(0);
		expect(r.stdout).toContain("(unreadable: key ka is not in EVENT_LOG_KEYS (retired))");
	});
});

describe("export, import and backup keep the ciphertext", () => {
	test("import into a store with the same keys reads the same, and exports the same bytes", async () => {
		const file = join(dir, "log.ndjson");
		const original = await exported();
		writeFileSync(file, original);
		const store = await freshStore();
		const fresh = { ...env, ...store.env };
		expect((await cli(["import", file], { env: fresh })).code).toBe(0);
		expect(await exported(fresh)).toBe(original);
		const [seq] = (
			JSON.parse((await cli(["events", "list", "--json"], { env: fresh })).stdout) as { seq: number }[]
		).map((d) => d.seq);
		const shown = await cli(["events", "show", String(seq), "--reveal"], { env: fresh });
		expect(shown.stdout).toContain(bank.holder);
		// Again: nothing new.
		const again = JSON.parse((await cli(["import", file, "--json"], { env: fresh })).stdout);
		expect(again.inserted).toBe(0);
		await store.drop();
	});

	test.skipIf(notSqlite)("a backup holds the same bytes as the store (SQLite only: a copy of the file)", async () => {
		const path = join(dir, "backup-bytes.sqlite");
		expect((await cli(["backup", path], { env })).code).toBe(0);
		expect(await exported({ ...env, DATABASE_PATH: path })).toBe(await exported());
	});
});

describe("a log from before encryption moves into an encrypted store with export and import", () => {
	test("the import seals the bodies in clear at their positions; rebuild gives the same checksum; a second import adds nothing", async () => {
		const clear = await startHarness();
		try {
			const clearEnv = cliEnv(clear);
			await postApplied(clear, bankPayment(9401));
			const original = await exported(clearEnv);
			expect(found(bodiesOf(original)[0] as Buffer)).toEqual(spellings);
			const file = join(dir, "clear.ndjson");
			writeFileSync(file, original);

			const store = await freshStore();
			const target = { ...env, ...store.env };
			expect((await cli(["import", file], { env: target })).code).toBe(0);
			// A SQLite store's files can be read; a PostgreSQL server's are its own.
			const folder = store.path ? dirname(store.path) : null;
			for (const name of folder ? readdirSync(folder) : [])
				expect(found(readFileSync(join(folder as string, name)))).toEqual([]);
			const keys = JSON.parse((await cli(["keys", "--json"], { env: target })).stdout);
			expect(keys).toEqual({ keys: [{ keyId: "ka", status: "current", events: 1 }], plain: 0, damaged: 0 });

			const checksum = async (environment: Record<string, string>) =>
				/^checksum (\w+)$/m.exec((await cli(["rebuild"], { env: environment })).stdout)?.[1];
			expect(await checksum(target)).toBe((await checksum(clearEnv)) as string);
			const shown = await cli(["events", "show", "1", "--reveal"], { env: target });
			expect(shown.stdout).toContain("body (encrypted with key ka):");
			expect(shown.stdout).toContain(bank.holder);

			const again = JSON.parse((await cli(["import", file, "--json"], { env: target })).stdout);
			expect(again).toEqual(expect.objectContaining({ inserted: 0, skipped: original.trim().split("\n").length }));
			await store.drop();
		} finally {
			await clear.stop();
		}
	});
});

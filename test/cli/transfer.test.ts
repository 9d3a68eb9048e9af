import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { freshStore, notSqlite, type TestStore } from "../support/store.ts";
import { cli, cliEnv, postApplied, postUnfinished, successful } from "./support.ts";

/** `rebuild`, `export`, `import` and `backup` over a log made by real postbacks. */

let h: Harness;
let env: Record<string, string>;
let dir: string;
const stores: TestStore[] = [];
const rawBody = JSON.stringify(successful(8001));

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	env = cliEnv(h);
	dir = mkdtempSync(join(tmpdir(), "citybase-cli-transfer-"));
	await postApplied(h, rawBody);
	await postApplied(h, rawBody);
	await postApplied(h, postback({ id: 8002, status: "refunded", invoice: "INV-8002" }));
	await postUnfinished(h, successful(8003));
	expect((await h.post("nope")).status).toBe(400);
});
afterAll(async () => {
	await h.stop();
	for (const store of stores) await store.drop();
	rmSync(dir, { recursive: true, force: true });
});

const checksumOf = async (environment: Record<string, string>) => {
	const r = await cli(["rebuild"], { env: environment });
	expect(r.code).toBe(0);
	return /^checksum ([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
};
const exported = async (...args: string[]) => {
	const r = await cli(["export", ...args], { env });
	expect(r.code).toBe(0);
	return r.stdout;
};
/** The harness's settings over a new, empty store of the same kind. */
const freshEnv = async () => {
	const store = await freshStore();
	stores.push(store);
	return { ...env, ...store.env };
};

describe("rebuild", () => {
	test("prints the checksum and the time taken; twice gives the same checksum; new events change it", async () => {
		const r = await cli(["rebuild"], { env });
		expect(r.stdout).toMatch(
			/^checksum [0-9a-f]{64}\nrebuilt 3 payments from \d+ events in \d+ ms \(\d+ events\/s\)\n$/,
		);
		const first = await checksumOf(env);
		expect(await checksumOf(env)).toBe(first as string);
		const json = JSON.parse((await cli(["rebuild", "--json"], { env })).stdout);
		expect(json).toEqual({ checksum: first, events: expect.any(Number), payments: 3, ms: expect.any(Number) });

		await postApplied(h, successful(8004));
		expect(await checksumOf(env)).not.toBe(first as string);
	});
});

describe("export and import", () => {
	test("one event a line, fields in a fixed order, the delivery bytes base64", async () => {
		const lines = (await exported()).trim().split("\n");
		expect(lines).toHaveLength(await h.service.store.lastSeq());
		const events = lines.map((l) => JSON.parse(l));
		for (const e of events) {
			expect(Object.keys(e)).toEqual([
				"seq",
				"type",
				"recordedAt",
				"deliverySeq",
				"citybaseId",
				"paymentStatus",
				"invoice",
				"effectKey",
				"body",
				"data",
			]);
		}
		expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
		expect(Buffer.from(events[0].body, "base64").toString()).toBe(rawBody);
		expect(events[1]).toEqual(expect.objectContaining({ type: "delivery.accepted", body: null, citybaseId: 8001 }));
	});

	test("--since keeps only events recorded from then on", async () => {
		expect(await exported("--since", "2025-08-19")).toBe("");
		expect((await exported("--since", "2025-08-18")).trim().split("\n")).toHaveLength(await h.service.store.lastSeq());
	});

	test("export, import into a fresh database, rebuild: the same checksum; importing again adds nothing", async () => {
		const file = join(dir, "log.ndjson");
		writeFileSync(file, await exported());
		const fresh = await freshEnv();

		const first = await cli(["import", file], { env: fresh });
		expect(first.code).toBe(0);
		const total = await h.service.store.lastSeq();
		expect(first.stdout).toMatch(new RegExp(`^imported ${total} events, 0 already present, from ${file} in `));
		expect(await checksumOf(fresh)).toBe((await checksumOf(env)) as string);

		const again = await cli(["import", file, "--json"], { env: fresh });
		expect(JSON.parse(again.stdout)).toEqual(expect.objectContaining({ inserted: 0, skipped: total }));
		const reexported = await cli(["export"], { env: fresh });
		expect(reexported.stdout).toBe(readFileSync(file, "utf8"));
	});

	test("an event that differs from the one at its position is an error, and nothing of the file is imported", async () => {
		const lines = (await exported()).trim().split("\n");
		const fresh = await freshEnv();
		const head = join(dir, "head.ndjson");
		writeFileSync(head, `${lines.slice(0, 3).join("\n")}\n`);
		expect((await cli(["import", head], { env: fresh })).code).toBe(0);

		const changed = JSON.parse(lines[2] as string);
		changed.recordedAt += 1;
		const conflicting = join(dir, "conflicting.ndjson");
		writeFileSync(conflicting, [JSON.stringify(changed), ...lines.slice(3)].join("\n"));
		const r = await cli(["import", conflicting], { env: fresh });
		expect(r.code).toBe(1);
		expect(r.stderr).toContain("line 1: event 3 differs from the one already in the log (recordedAt)");
		expect((await cli(["export"], { env: fresh })).stdout.trim().split("\n")).toHaveLength(3);
	});

	test("a malformed line is refused with its line number", async () => {
		const file = join(dir, "bad.ndjson");
		const [first] = (await exported()).split("\n");
		writeFileSync(file, `${first}\n{"seq":2,"type":"delivery.sideways"}\n`);
		const r = await cli(["import", file], { env: await freshEnv() });
		expect(r.code).toBe(1);
		expect(r.stderr).toContain("line 2:");
		const badData = join(dir, "bad-data.ndjson");
		const accepted = JSON.parse((await exported()).split("\n")[1] as string);
		accepted.data.payment.citybaseId = "not a number";
		writeFileSync(badData, `${JSON.stringify(accepted)}\n`);
		const invalid = await cli(["import", badData], { env: await freshEnv() });
		expect(invalid.code).toBe(1);
		expect(invalid.stderr).toContain("line 1: data/payment/citybaseId");
		expect((await cli(["import", join(dir, "missing.ndjson")], { env })).code).toBe(1);
	});
});

// `backup` copies the SQLite file (VACUUM INTO); a PostgreSQL server is backed up with its own tools.
describe.skipIf(notSqlite)("backup, a missing file (SQLite only: about the database file)", () => {
	test("writes a consistent copy that rebuilds to the same checksum, and never overwrites a file", async () => {
		const path = join(dir, "backup.sqlite");
		const r = await cli(["backup", path], { env });
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(
			new RegExp(`^backed up ${await h.service.store.lastSeq()} events to ${path} \\(\\d+ KiB\\) in `),
		);
		expect(existsSync(path)).toBe(true);
		expect(await checksumOf({ ...env, DATABASE_PATH: path })).toBe((await checksumOf(env)) as string);

		const again = await cli(["backup", path], { env });
		expect(again.code).toBe(1);
		expect(again.stderr).toContain("already exists");
	});

	test("a command on a database file that does not exist says so instead of creating it", async () => {
		const missing = join(dir, "nowhere.sqlite");
		const r = await cli(["events", "list"], { env: { ...env, DATABASE_PATH: missing } });
		expect(r.code).toBe(1);
		expect(r.stderr).toContain(`no event store at ${missing}`);
		expect(existsSync(missing)).toBe(false);
	});
});

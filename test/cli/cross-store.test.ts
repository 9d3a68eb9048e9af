import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";
import { keysValue } from "../support/keys.ts";
import { postback } from "../support/payloads.ts";
import { skipWithoutPostgres } from "../support/postgres.ts";
import { freshStore, type StoreKind, storeKind, type TestStore } from "../support/store.ts";
import { cli, cliEnv, postApplied, postUnfinished, successful } from "./support.ts";

/**
 * Moving a log between the two stores with `export` and `import`: from the store under
 * test to the other kind and back, the rebuild checksum and the export stay the same,
 * sealed bodies included (the same EVENT_LOG_KEYS on every side).
 */
const skip = skipWithoutPostgres("the cross-store export and import");
const other: StoreKind = storeKind === "sqlite" ? "postgres" : "sqlite";

let h: Harness;
let env: Record<string, string>;
let dir: string;
const stores: TestStore[] = [];

describe.skipIf(skip)(`${storeKind} → ${other} → ${storeKind}`, () => {
	beforeAll(async () => {
		h = await startHarness({ startAt: "2025-08-18T19:17:00Z", env: { EVENT_LOG_KEYS: keysValue(["ka", 1]) } });
		env = cliEnv(h, { EVENT_LOG_KEYS: keysValue(["ka", 1]) });
		dir = mkdtempSync(join(tmpdir(), "citybase-cross-store-"));
		const raw = JSON.stringify(successful(8101));
		await postApplied(h, raw);
		await postApplied(h, raw);
		await postApplied(h, postback({ id: 8102, status: "refunded", invoice: "INV-8102" }));
		await postUnfinished(h, successful(8103));
		expect((await h.post("nope")).status).toBe(400);
	});
	afterAll(async () => {
		await h.stop();
		for (const store of stores) await store.drop();
		rmSync(dir, { recursive: true, force: true });
	});

	const run = async (args: string[], environment: Record<string, string>) => {
		const r = await cli(args, { env: environment });
		expect({ args, code: r.code }).toEqual({ args, code: 0 });
		return r.stdout;
	};
	const checksumOf = async (environment: Record<string, string>) =>
		/^checksum ([0-9a-f]{64})$/m.exec(await run(["rebuild"], environment))?.[1];
	const importFile = async (ndjson: string, target: Record<string, string>) => {
		const file = join(dir, `${stores.length}-${Date.now()}.ndjson`);
		writeFileSync(file, ndjson);
		return JSON.parse(await run(["import", file, "--json"], target)) as { inserted: number; skipped: number };
	};
	const importInto = async (kind: StoreKind, ndjson: string) => {
		const store = await freshStore(kind);
		stores.push(store);
		// DATABASE_URL wins over DATABASE_PATH: the target names its own store and no other.
		const { DATABASE_PATH: _path, DATABASE_URL: _url, ...settings } = env;
		const target = { ...settings, ...store.env };
		expect(await importFile(ndjson, target)).toMatchObject({ skipped: 0 });
		return target;
	};

	test("the same checksum and the same export on each side, bodies sealed alike", async () => {
		const original = await run(["export"], env);
		const checksum = await checksumOf(env);
		expect(checksum).toMatch(/^[0-9a-f]{64}$/);
		const sealed = original
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line) as { body: string | null })
			.filter((e) => e.body !== null);
		expect(sealed.length).toBeGreaterThan(0);
		for (const e of sealed) expect(Buffer.from(e.body as string, "base64").includes("8101")).toBe(false);

		const there = await importInto(other, original);
		expect(await checksumOf(there)).toBe(checksum as string);
		const exportedThere = await run(["export"], there);
		expect(exportedThere).toBe(original);

		const back = await importInto(storeKind, exportedThere);
		expect(await checksumOf(back)).toBe(checksum as string);
		expect(await run(["export"], back)).toBe(original);
		expect(JSON.parse(await run(["keys", "--json"], back))).toEqual(JSON.parse(await run(["keys", "--json"], env)));
	});

	test("the runbook's move: a first copy while the service runs, then a second adds only what came since", async () => {
		const target = await importInto(other, await run(["export"], env));
		await postApplied(h, successful(8104));
		const second = await importFile(await run(["export"], env), target);
		expect(second.inserted).toBeGreaterThan(0);
		expect(second.inserted + second.skipped).toBe(await h.service.store.lastSeq());
		expect(await checksumOf(target)).toBe((await checksumOf(env)) as string);
		expect(await run(["export"], target)).toBe(await run(["export"], env));
	});
});

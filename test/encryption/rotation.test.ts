import { afterAll, beforeAll, expect, test } from "bun:test";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { cli, cliEnv, postApplied, postUnfinished, successful } from "../cli/support.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { keysValue } from "../support/keys.ts";
import { freshStore, type TestStore } from "../support/store.ts";

/**
 * Rotation over one log and one Knack, the service restarted at each step: payments
 * under key A; one under key B with A still listed; then A removed (crypto-shredding).
 * Every step replays, rebuilds and verifies; each body reads as the keys allow.
 */

let store: TestStore;
let sandbox: KnackSandbox;
beforeAll(async () => {
	store = await freshStore();
	sandbox = startKnackSandbox(defaultSandboxOptions());
});
afterAll(async () => {
	await sandbox.stop();
	await store.drop();
});

type Env = Record<string, string>;
const A: [string, number] = ["ka", 1];
const B: [string, number] = ["kb", 2];

/** The service and the CLI with these keys over the same store, then replay, rebuild and verify. */
async function step(keys: string, work: (h: Harness, env: Env) => Promise<void>, replayed: string[]) {
	const h = await startHarness({ sandbox, store, env: { EVENT_LOG_KEYS: keys } });
	const env = cliEnv(h, { EVENT_LOG_KEYS: keys });
	try {
		await work(h, env);
		const replay = await cli(["replay", ...replayed], { env });
		expect({ replay: replayed, code: replay.code, stderr: replay.stderr }).toEqual({
			replay: replayed,
			code: 0,
			stderr: expect.not.stringContaining("error"),
		});
		const rebuilt = await cli(["rebuild"], { env });
		expect(rebuilt.code).toBe(0);
		const verified = await cli(["verify"], { env });
		expect({ code: verified.code, stdout: verified.stdout }).toEqual({ code: 0, stdout: expect.any(String) });
	} finally {
		await h.stop();
	}
}

async function bodyOf(env: Env, id: number): Promise<string> {
	const list = await cli(["events", "list", "--json", "--payment", String(id)], { env });
	const seq = (JSON.parse(list.stdout) as { seq: number }[])[0]?.seq;
	const shown = await cli(["events", "show", String(seq)], { env });
	expect(shown.code).toBe(0);
	const lines = shown.stdout.split("\n");
	const at = lines.findIndex((l) => l.startsWith("body ("));
	return `${lines[at]} ${lines[at + 1]}`;
}

const keyTable = async (env: Env) => JSON.parse((await cli(["keys", "--json"], { env })).stdout).keys;
const pending = async (env: Env) => JSON.parse((await cli(["pending", "--json"], { env })).stdout);

test("payments under A, one under B with A listed, then A removed: every step replays, bodies read as the keys allow", async () => {
	await step(
		keysValue(A),
		async (h, env) => {
			await postApplied(h, successful(9501));
			await postUnfinished(h, successful(9503));
			expect(await bodyOf(env, 9501)).toBe("body (encrypted with key ka): {");
			expect(await keyTable(env)).toEqual([{ keyId: "ka", status: "current", events: 2 }]);
		},
		["--payment", "9501", "--force"],
	);

	await step(
		keysValue(B, A),
		async (h, env) => {
			await postApplied(h, successful(9502));
			expect(await bodyOf(env, 9501)).toBe("body (encrypted with key ka): {");
			expect(await bodyOf(env, 9502)).toBe("body (encrypted with key kb): {");
			expect(await keyTable(env)).toEqual([
				{ keyId: "kb", status: "current", events: 1 },
				{ keyId: "ka", status: "listed", events: 2 },
			]);
			const table = (await cli(["keys"], { env })).stdout;
			expect(table).toMatch(/^KEY\s+STATUS\s+EVENTS\nkb\s+current\s+1\nka\s+listed\s+2\n/);
			expect(table).toContain("0 bodies in clear");
			expect(table).toContain("removing ka would make 2 bodies unreadable for good");
		},
		["--payment", "9502", "--force"],
	);

	await step(
		keysValue(B),
		async (_h, env) => {
			expect(await bodyOf(env, 9501)).toBe(
				"body (encrypted with key ka): (unreadable: key ka is not in EVENT_LOG_KEYS (retired))",
			);
			expect(await bodyOf(env, 9502)).toBe("body (encrypted with key kb): {");
			expect(await keyTable(env)).toEqual([
				{ keyId: "kb", status: "current", events: 1 },
				{ keyId: "ka", status: "retired", events: 2 },
			]);
			// 9503, left unfinished under A, is finished from its payment in clear.
			expect(await pending(env)).toEqual([expect.objectContaining({ citybaseId: 9503 })]);
			expect((await cli(["replay", "--payment", "9503"], { env })).code).toBe(0);
			expect(await pending(env)).toEqual([]);
		},
		["--all", "--force"],
	);
});

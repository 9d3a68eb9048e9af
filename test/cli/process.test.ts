import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { type Harness, startHarness } from "../support/harness.ts";
import { cli, cliEnv, knackWrites, postUnfinished, seeded, successful } from "./support.ts";

/** The CLI as operators run it: `bun src/cli.ts`, a real process, real signals. */

const root = join(import.meta.dir, "..", "..");
let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	env = cliEnv(h);
});
afterAll(() => h.stop());

function spawnCli(args: string[], environment: Record<string, string>) {
	return Bun.spawn([process.execPath, "src/cli.ts", ...args], {
		cwd: root,
		env: { PATH: process.env.PATH ?? "", ...environment },
		stdout: "pipe",
		stderr: "pipe",
		stdin: "ignore",
	});
}

async function run(args: string[], environment: Record<string, string> = env) {
	const child = spawnCli(args, environment);
	const [stdout, stderr, code] = await Promise.all([
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
		child.exited,
	]);
	return { code, stdout, stderr };
}

test("--help lists every command, and exits 0", async () => {
	const r = await run(["--help"]);
	expect(r.code).toBe(0);
	for (const command of [
		"events list",
		"events show SEQ",
		"payments show ID|INVOICE|RECORD",
		"pending",
		"replay",
		"rebuild",
	]) {
		expect(r.stdout).toContain(`  ${command}`);
	}
	expect((await run(["frobnicate"])).code).toBe(2);
});

test("a command reads the service's configuration from the environment, prints JSON, and exits", async () => {
	await postUnfinished(h, successful(9001));
	const r = await run(["pending", "--json"]);
	expect(r.code).toBe(3);
	expect(JSON.parse(r.stdout)).toEqual([
		expect.objectContaining({ citybaseId: 9001, unfinished: [expect.anything()] }),
	]);
	const broken = await run(["pending"], { ...env, CITYBASE_ENV: "nowhere" });
	expect(broken.code).toBe(1);
	expect(broken.stderr).toBe(
		"error: configuration error: CITYBASE_ENV must be one of development, staging, uat, production\n",
	);
});

test("Ctrl-C (SIGINT) stops a replay cleanly with exit 130; the same command finishes it", async () => {
	const from = String((await h.service.store.lastSeq()) + 1);
	for (const id of [9101, 9102, 9103, 9104]) await postUnfinished(h, successful(id));
	h.sandbox.clearCalls();
	const slow = { ...env, KNACK_RATE_LIMIT: "3" };

	const child = spawnCli(["replay", "--from", from], slow);
	for (let i = 0; i < 1000 && !h.sandbox.calls().some((c) => c.status === 200); i++) await Bun.sleep(5);
	child.kill("SIGINT");
	const [stdout, stderr, code] = await Promise.all([
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
		child.exited,
	]);
	expect(code).toBe(130);
	expect(stderr).toContain("stopping after the Knack call in flight");
	expect(stderr).toContain("INTERRUPTED: run the same command again to continue");
	const first = knackWrites(h);
	expect(first.length).toBeGreaterThanOrEqual(1);
	expect(first.length).toBeLessThan(4);
	// One line per payment written; the payment cut off by Ctrl-C, if it had started, says so.
	const lines = stdout.trim().split("\n");
	expect(lines.filter((l) => !l.includes("INTERRUPTED"))).toHaveLength(first.length);

	h.sandbox.clearCalls();
	const resumed = await run(["replay", "--from", from], slow);
	expect(resumed.code).toBe(0);
	expect([...first, ...knackWrites(h)]).toEqual(Array(4).fill(`PUT object_180/${seeded.transaction}`));
	const left = await cli(["pending", "--json"], { env });
	expect(JSON.parse(left.stdout).filter((p: { citybaseId: number }) => p.citybaseId > 9100)).toEqual([]);
});

import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../package.json";
import { defaultSandboxOptions } from "../src/sandbox/defaults.ts";
import streetBanner from "../src/sandbox/fixtures/street-banner.json";
import { type KnackSandbox, startKnackSandbox } from "../src/sandbox/knack.ts";
import { appIds } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";
import { serviceEnv, spawnListening } from "./support/process.ts";
import { freshStore, type TestStore } from "./support/store.ts";

/**
 * `npm run build` makes one binary that serves and runs the CLI, with its migrations
 * inside and the Knack sandbox left out. Built here with the build script's own flags.
 */

let dir: string;
let sandbox: KnackSandbox;
let binary: string;
/** the store TEST_STORE names: the binary carries both stores' drivers and migrations */
let store: TestStore;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), "citybase-binary-"));
	const built = join(dir, "build", "atd-citybase");
	const build = Bun.spawnSync([process.execPath, ...buildArguments(built)], {
		cwd: join(import.meta.dir, ".."),
		stderr: "pipe",
	});
	if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
	// Alone in an empty folder: no node_modules, no drizzle/ beside it.
	binary = join(dir, "bin", "atd-citybase");
	Bun.spawnSync(["mkdir", "-p", join(dir, "bin")]);
	copyFileSync(built, binary);
	Bun.spawnSync(["chmod", "+x", binary]);
	store = await freshStore();
	sandbox = startKnackSandbox(defaultSandboxOptions());
	sandbox.put(appIds.STREET_BANNER, "object_180", { id: "5f8000000000000000000001" });
}, 120_000);

/** `npm run build`'s command line, writing to `outfile` instead. */
function buildArguments(outfile: string): string[] {
	const script = (packageJson.scripts as Record<string, string>).build as string;
	const [bun, ...args] = script.split(" ");
	if (bun !== "bun") throw new Error(`the build script no longer starts with bun: ${script}`);
	const at = args.indexOf("--outfile");
	args.splice(at, 2, "--outfile", outfile);
	return args;
}

afterAll(async () => {
	await sandbox.stop();
	await store.drop();
	rmSync(dir, { recursive: true, force: true });
});

test("the binary starts, migrates, serves a postback and the console, and its CLI reads the same log", async () => {
	const env = serviceEnv(sandbox.url, store.env);
	const server = await spawnListening([binary], env, join(dir, "bin"));
	const url = server.url;
	try {
		const response = await fetch(`${url}/citybase_postback`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(postback({ id: 88_000_001, status: "voided", knackRecordId: "5f8000000000000000000001" })),
		});
		expect(response.status).toBe(200);
		expect(sandbox.calls().map((c) => `${c.method} ${c.objectKey}`)).toEqual(["POST object_181", "PUT object_180"]);

		// The console is in the binary too, with its stylesheet: no build step of its own.
		expect(await (await fetch(`${url}/admin/login`)).text()).toContain('name="token"');
		expect((await fetch(`${url}/admin/assets/console.css`)).headers.get("content-type")).toContain("text/css");

		const cli = Bun.spawnSync([binary, "cli", "events", "list", "--json"], { env, stdout: "pipe", stderr: "pipe" });
		expect(cli.exitCode).toBe(0);
		expect(cli.stdout.toString()).toContain("88000001");
	} finally {
		server.process.kill("SIGTERM");
		await server.exited;
	}
}, 60_000);

test("the binary carries no Knack sandbox: in development it asks for credentials instead", async () => {
	const fixtureId = streetBanner.object_180[0]?.id as string;
	expect(Buffer.from(await Bun.file(binary).arrayBuffer()).includes(fixtureId)).toBe(false);

	const env = serviceEnv(sandbox.url, { DATABASE_PATH: join(dir, "data", "alone.sqlite") });
	for (const name of Object.keys(env)) if (name.startsWith("KNACK_")) delete env[name];
	const run = Bun.spawnSync([binary], { env, cwd: join(dir, "bin"), stdout: "pipe", stderr: "pipe", timeout: 10_000 });
	expect(run.exitCode).toBe(1);
	expect(run.stderr.toString()).toContain("this executable carries no Knack sandbox");
}, 30_000);

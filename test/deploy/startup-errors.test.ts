import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnv } from "../support/process.ts";

/**
 * Deploy mistakes end in one line that says what to do, never a stack trace: a data
 * folder the service cannot write (a root-owned bind mount at /data), and a DATABASE_URL
 * that does not answer.
 */
const root = join(import.meta.dir, "..", "..");
let dir: string;

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "citybase-startup-"));
	chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(env: Record<string, string>, asUid?: number) {
	const command = [process.execPath, "src/index.ts"];
	const child = Bun.spawn(
		asUid === undefined ? command : ["setpriv", `--reuid=${asUid}`, `--regid=${asUid}`, "--clear-groups", ...command],
		{
			cwd: root,
			// Bun's transpiler cache is not the other user's to write.
			env: { ...serviceEnv("http://127.0.0.1:9/v1", env), BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" },
			stdout: "pipe",
			stderr: "pipe",
		},
	);
	const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
	const [code, stdout, stderr] = await Promise.all([
		child.exited,
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
	]);
	clearTimeout(timer);
	return { code, stdout, stderr };
}

test("a data folder the service cannot write: one line naming the path, the uid and the fix", async () => {
	// A folder owned by root and closed to others, as a bind mount made by root is to uid 1000.
	const data = join(dir, "data");
	mkdirSync(data);
	chmodSync(data, 0o555);
	const asRoot = process.getuid?.() === 0;
	const uid = asRoot ? 1000 : (process.getuid?.() ?? 0);
	const { code, stderr } = await start({ DATABASE_PATH: join(data, "citybase.sqlite") }, asRoot ? 1000 : undefined);
	expect(code).toBe(1);
	expect(stderr.trim().split("\n")).toEqual([
		`atd-citybase: cannot write the event log: the folder of ${data}/citybase.sqlite (${data}) is not writable for uid ${uid}, which the service runs as; give it the folder (\`chown ${uid}:${uid}\` on the host) or mount a named volume there, as docker-compose.yml does`,
	]);
});

test("a DATABASE_URL that does not answer: one line naming the server and the error, no stack trace", async () => {
	const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const port = closed.port;
	closed.stop(true);
	const { code, stderr } = await start({ DATABASE_URL: `postgres://citybase:not-this@127.0.0.1:${port}/citybase` });
	expect(code).toBe(1);
	const lines = stderr.trim().split("\n");
	expect(lines).toHaveLength(1);
	expect(lines[0]).toStartWith(
		`atd-citybase: could not open the PostgreSQL store at postgres://citybase@127.0.0.1:${port}/citybase: `,
	);
	expect(lines[0]).toContain("ECONNREFUSED");
	expect(stderr).not.toContain("not-this");
});

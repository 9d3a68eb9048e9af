import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keysValue } from "../support/keys.ts";
import { serviceEnv, spawnService } from "../support/process.ts";

/** `bun src/index.ts` as a real process: production refuses to start without keys; development warns once. */

let dir: string;
beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "citybase-keys-startup-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Nothing here calls Knack: the service only has to start, or refuse to.
const knack = "http://127.0.0.1:9/v1";

test("production without EVENT_LOG_KEYS exits 1 with one line naming the setting, before opening the log", async () => {
	const databasePath = join(dir, "refused", "events.sqlite");
	const child = Bun.spawn([process.execPath, "src/index.ts"], {
		cwd: join(import.meta.dir, "..", ".."),
		env: serviceEnv(knack, {
			CITYBASE_ENV: "production",
			POSTBACK_TOKENS: "postback-token-for-tests",
			DATABASE_PATH: databasePath,
		}),
		stdout: "pipe",
		stderr: "pipe",
	});
	expect(await child.exited).toBe(1);
	expect(await new Response(child.stderr).text()).toBe(
		"atd-citybase: configuration error: EVENT_LOG_KEYS must be set in production (or EVENT_LOG_ENCRYPTION=none to store delivery bodies in clear on purpose)\n",
	);
	expect(existsSync(databasePath)).toBe(false);
});

const warnings = (lines: string[]) => lines.filter((l) => l.includes("EVENT_LOG_KEYS is not set"));

for (const [index, [name, env, expected]] of (
	[
		["development without keys starts with one warning", {}, 1],
		["development with keys starts without it", { EVENT_LOG_KEYS: keysValue(["k1", 1]) }, 0],
		[
			"production with keys starts",
			{ CITYBASE_ENV: "production", POSTBACK_TOKENS: "postback-token-for-tests", EVENT_LOG_KEYS: keysValue(["k1", 1]) },
			0,
		],
	] as const
).entries()) {
	test(name, async () => {
		const server = await spawnService({ DATABASE_PATH: join(dir, `started-${index}.sqlite`), ...env }, knack);
		try {
			expect(warnings(server.lines)).toHaveLength(expected);
			if (expected) expect(JSON.parse(warnings(server.lines)[0] as string).level).toBe("warn");
		} finally {
			server.process.kill("SIGTERM");
			await server.exited;
		}
	});
}

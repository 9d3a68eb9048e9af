import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServiceProcess, spawnListening } from "../support/process.ts";

/**
 * The sandbox the development service starts for itself listens where
 * KNACK_SANDBOX_HOST says, loopback by default, never where HOST says: it takes made-up
 * credentials and its control endpoints ask none. Both addresses stay on loopback
 * (127.0.0.0/8), so nothing here is reachable from another machine.
 */

const root = join(import.meta.dir, "..", "..");
let running: ServiceProcess | null = null;
let dir: string | null = null;

afterEach(async () => {
	running?.process.kill("SIGTERM");
	await running?.exited;
	running = null;
	if (dir) rmSync(dir, { recursive: true, force: true });
	dir = null;
});

async function developmentService(env: Record<string, string>): Promise<URL> {
	dir = mkdtempSync(join(tmpdir(), "citybase-embedded-"));
	running = await spawnListening(
		[process.execPath, "src/index.ts"],
		{
			PATH: process.env.PATH ?? "",
			CITYBASE_ENV: "development",
			PORT: "0",
			KNACK_SANDBOX_PORT: "0",
			DATABASE_PATH: join(dir, "citybase.sqlite"),
			...env,
		},
		root,
	);
	const line = running.lines.find((l) => l.includes("embedded Knack sandbox"));
	if (!line) throw new Error("the service did not start its sandbox");
	return new URL(JSON.parse(line).knack_api_url);
}

const answers = (host: string, port: string) =>
	fetch(`http://${host}:${port}/__sandbox/stats`).then(
		(r) => r.status,
		() => "refused",
	);

test("HOST says where the service listens, not the sandbox: that stays on 127.0.0.1", async () => {
	const sandbox = await developmentService({ HOST: "127.0.0.2" });
	expect(sandbox.hostname).toBe("127.0.0.1");
	expect(await answers("127.0.0.1", sandbox.port)).toBe(200);
	expect(await answers("127.0.0.2", sandbox.port)).toBe("refused");
	expect(new URL(running?.url ?? "").hostname).toBe("127.0.0.2");
});

test("KNACK_SANDBOX_HOST moves the sandbox, for a container that publishes its port", async () => {
	const sandbox = await developmentService({ HOST: "127.0.0.2", KNACK_SANDBOX_HOST: "127.0.0.3" });
	expect(sandbox.hostname).toBe("127.0.0.3");
	expect(await answers("127.0.0.3", sandbox.port)).toBe(200);
	expect(await answers("127.0.0.1", sandbox.port)).toBe("refused");
});

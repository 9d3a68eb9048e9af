import { expect, test } from "bun:test";
import { join } from "node:path";
import { skipWithoutPostgres } from "../support/postgres.ts";

/**
 * The CI version of the PostgreSQL chaos run: 120 postbacks over three servers on one
 * database. CI's shared cluster (TEST_DATABASE_URL) serves every other test too, so it
 * is not restarted; a cluster of the test's own is, once.
 * `bun bench/chaos.ts --store postgres --deliveries 500` is the full run.
 */
const root = join(import.meta.dir, "..", "..");
const skip = skipWithoutPostgres("the PostgreSQL chaos test");

test.skipIf(skip)(
	"120 postbacks through three servers sharing one PostgreSQL database, Knack failing at random and servers killed with -9, leave Knack exactly as the payments imply",
	async () => {
		const restarts = process.env.TEST_DATABASE_URL ? "0" : "1";
		const proc = Bun.spawn(
			[
				process.execPath,
				"bench/chaos.ts",
				"--store",
				"postgres",
				"--store-restarts",
				restarts,
				"--deliveries",
				"120",
				"--max-seconds",
				"45",
			],
			{
				cwd: root,
				stdout: "pipe",
				stderr: "pipe",
				// SIGTERM lets the script kill the servers (and the cluster) it started.
				timeout: 85_000,
				killSignal: "SIGTERM",
			},
		);
		const [out, err, code] = await Promise.all([
			new Response(proc.stdout).text(),
			new Response(proc.stderr).text(),
			proc.exited,
		]);
		console.log(out + err);
		expect(out).toContain("CHAOS PASS");
		expect(code).toBe(0);
	},
	90_000,
);

import { expect, test } from "bun:test";
import { join } from "node:path";

/**
 * The CI version of the chaos test (issue 3): 120 postbacks instead of 500, same
 * chaos. `bun bench/chaos.ts --deliveries 500` is the full run.
 */
const root = join(import.meta.dir, "..", "..");

test("120 postbacks through two servers sharing one database, Knack failing at random and servers killed with -9, leave Knack exactly as the payments imply", async () => {
	const proc = Bun.spawn([process.execPath, "bench/chaos.ts", "--deliveries", "120", "--max-seconds", "45"], {
		cwd: root,
		stdout: "pipe",
		stderr: "pipe",
		// SIGTERM lets the script kill the servers it started.
		timeout: 85_000,
		killSignal: "SIGTERM",
	});
	const [out, err, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	]);
	console.log(out + err);
	expect(out).toContain("CHAOS PASS");
	expect(code).toBe(0);
}, 90_000);

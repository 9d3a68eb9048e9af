import { expect } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");

/**
 * Runs `bench/chaos.ts` with `args` as its own process and expects it to pass. SIGTERM at
 * the timeout lets the script kill the servers (and any cluster) it started.
 */
export async function expectChaosPass(args: string[]): Promise<void> {
	const proc = Bun.spawn([process.execPath, "bench/chaos.ts", ...args], {
		cwd: root,
		stdout: "pipe",
		stderr: "pipe",
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
}

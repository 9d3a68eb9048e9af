import { closeSync, openSync } from "node:fs";
import type { Subprocess } from "bun";

/**
 * The benchmark's child processes: spawned with the bun that runs the benchmark, every
 * one registered so that `stopAll` can end it on any exit path, and read through /proc
 * (memory, CPU) rather than asked, so measuring costs the child nothing.
 */
export const repoRoot = new URL("../..", import.meta.url).pathname;

const running = new Set<Subprocess>();

export interface Child {
	pid: number;
	/** SIGTERM, then SIGKILL if still there 10 s later; resolves once the process is gone. */
	stop(): Promise<void>;
}

export function spawnBun(args: string[], env: Record<string, string>, logPath: string): Child {
	const log = openSync(logPath, "a");
	const proc = Bun.spawn([process.execPath, ...args], {
		cwd: repoRoot,
		env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
		stdin: "ignore",
		stdout: log,
		stderr: log,
	});
	closeSync(log);
	running.add(proc);
	void proc.exited.then(() => running.delete(proc));
	return {
		pid: proc.pid,
		async stop() {
			if (proc.exitCode !== null || proc.signalCode !== null) return;
			proc.kill("SIGTERM");
			const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
			await proc.exited;
			clearTimeout(timer);
		},
	};
}

/** Last resort on an error or a signal: nothing the benchmark started may outlive it. */
export function killAll(): void {
	for (const proc of running) proc.kill("SIGKILL");
}

export async function freePort(): Promise<number> {
	const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
	const port = probe.port as number;
	await probe.stop(true);
	return port;
}

/** Polls `url` until it answers 200; returns the milliseconds waited. */
export async function waitUntilUp(url: string, timeoutMs = 15_000, from = performance.now()): Promise<number> {
	const deadline = from + timeoutMs;
	while (performance.now() < deadline) {
		try {
			const response = await fetch(url);
			await response.arrayBuffer();
			if (response.status === 200) return performance.now() - from;
		} catch {
			// not listening yet
		}
		await Bun.sleep(5);
	}
	throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Peak resident set (VmHWM) of a live process, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
	const status = await Bun.file(`/proc/${pid}/status`).text();
	const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
	return kib / 1024;
}

const ticksPerSecond = 100; // USER_HZ, which Linux fixes at 100 for /proc on every supported architecture

/** CPU seconds (user + system) a live process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
	const stat = await Bun.file(`/proc/${pid}/stat`).text();
	// The command name (field 2) may hold spaces; the numeric fields start after its closing parenthesis.
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

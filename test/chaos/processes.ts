import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";

/**
 * The processes of a chaos run: the Knack sandbox and the service instances, each a
 * real `bun` process with its output in a log file. Every process started here is
 * tracked so that it is killed whatever happens to the run.
 */
const root = join(import.meta.dir, "..", "..");
const started = new Set<Subprocess>();

// A driver that dies (an exception, a test timeout, ^C) must not leave servers behind.
const killStarted = () => {
	for (const proc of started) proc.kill("SIGKILL");
};
process.on("exit", killStarted);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		killStarted();
		process.exit(1);
	});
}

export interface Started {
	proc: Subprocess;
	/** the JSON log line that said the process was ready */
	ready: Record<string, unknown>;
	logPath: string;
}

/** Starts `bun <args>` and resolves once a line of its stdout passes `isReady`. */
export async function startProcess(
	args: string[],
	env: Record<string, string>,
	logPath: string,
	isReady: (line: Record<string, unknown>) => boolean,
	timeoutMs = 20_000,
): Promise<Started> {
	const proc = Bun.spawn([process.execPath, ...args], {
		cwd: root,
		env: { PATH: process.env.PATH ?? "", ...env },
		stdin: "ignore",
		stdout: "pipe",
		stderr: Bun.file(`${logPath}.stderr`),
	});
	started.add(proc);
	proc.exited.then(() => started.delete(proc));
	try {
		const ready = await Promise.race([
			readUntil(proc.stdout, logPath, isReady),
			proc.exited.then((code) => {
				throw new Error(`${args.join(" ")} exited with ${code} before it was ready (see ${logPath})`);
			}),
			Bun.sleep(timeoutMs).then(() => {
				throw new Error(`${args.join(" ")} was not ready within ${timeoutMs} ms (see ${logPath})`);
			}),
		]);
		return { proc, ready, logPath };
	} catch (error) {
		proc.kill("SIGKILL");
		throw error;
	}
}

/** Copies the stream to `logPath` line by line; resolves with the first line that passes `isReady`. */
function readUntil(
	stream: ReadableStream<Uint8Array>,
	logPath: string,
	isReady: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
	return new Promise((resolve) => {
		const decoder = new TextDecoder();
		let pending = "";
		let found = false;
		(async () => {
			for await (const chunk of stream) {
				pending += decoder.decode(chunk, { stream: true });
				const lines = pending.split("\n");
				pending = lines.pop() ?? "";
				if (lines.length > 0) appendFileSync(logPath, `${lines.join("\n")}\n`);
				for (const line of found ? [] : lines) {
					const parsed = parseLine(line);
					if (parsed && isReady(parsed)) {
						found = true;
						resolve(parsed);
					}
				}
			}
		})().catch(() => {});
	});
}

function parseLine(line: string): Record<string, unknown> | null {
	try {
		const value = JSON.parse(line);
		return typeof value === "object" && value !== null ? value : null;
	} catch {
		return null;
	}
}

/** Asks a process to stop, and kills it if it has not within `graceMs`. */
export async function stopProcess(proc: Subprocess, graceMs = 5000): Promise<void> {
	if (proc.exitCode !== null || proc.signalCode !== null) return;
	proc.kill("SIGTERM");
	const stopped = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
	if (!stopped) proc.kill("SIGKILL");
	await proc.exited;
}

export async function stopAll(): Promise<void> {
	await Promise.all([...started].map((proc) => stopProcess(proc)));
}

export interface SandboxProcess extends Started {
	/** the Knack API base (KNACK_API_URL) */
	url: string;
	/** where the control endpoints live */
	controlUrl: string;
}

export async function startSandbox(dir: string): Promise<SandboxProcess> {
	const started = await startProcess(
		["src/sandbox/main.ts", "--port", "0"],
		{},
		join(dir, "sandbox.log"),
		(line) => typeof line.url === "string",
	);
	const url = started.ready.url as string;
	return { ...started, url, controlUrl: url.replace(/\/v1$/, "") };
}

export interface ServiceTimings {
	deadlineSeconds: number;
	leaseSeconds: number;
	knackTimeoutSeconds: number;
	recoveryIntervalSeconds: number;
}

/** `store`: DATABASE_PATH (SQLite) or DATABASE_URL (PostgreSQL), the variable that picks the store. */
export function serviceEnv(
	store: Record<string, string>,
	knackApiUrl: string,
	timings: ServiceTimings,
): Record<string, string> {
	return {
		...store,
		CITYBASE_ENV: "development",
		HOST: "127.0.0.1",
		PORT: "0",
		KNACK_API_URL: knackApiUrl,
		KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
		KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
		KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
		KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
		// The sandbox's faults are the chaos; the service's own spacing would only slow the run.
		KNACK_RATE_LIMIT: "1000",
		POSTBACK_DEADLINE_SECONDS: String(timings.deadlineSeconds),
		CLAIM_LEASE_SECONDS: String(timings.leaseSeconds),
		KNACK_TIMEOUT_SECONDS: String(timings.knackTimeoutSeconds),
		RECOVERY_INTERVAL_SECONDS: String(timings.recoveryIntervalSeconds),
		// A dead-lettered delivery would be a lost one: recovery must keep going until Knack is back.
		RECOVERY_MAX_ATTEMPTS: "100000",
		LOG_LEVEL: "info",
	};
}

/** One service instance: `bun src/index.ts`, restartable after a kill. */
export class ServiceProcess {
	private current: Started | null = null;
	private starts = 0;
	url: string | null = null;
	/** exits nobody asked for (a crash), by log file: a run with one has failed even if Knack ends right */
	readonly crashes: string[] = [];

	constructor(
		readonly name: string,
		private readonly env: Record<string, string>,
		private readonly dir: string,
	) {}

	get live(): boolean {
		return this.url !== null;
	}

	async start(): Promise<void> {
		this.starts++;
		const started = await startProcess(
			["src/index.ts"],
			this.env,
			join(this.dir, `server-${this.name}-${this.starts}.log`),
			(line) => line.message === "atd-citybase listening",
		);
		this.current = started;
		started.proc.exited.then((code) => {
			if (this.current === started && this.url !== null) this.crashes.push(`${started.logPath} (exit ${code})`);
		});
		const url = started.ready.url as string;
		await waitHealthy(url);
		this.url = url;
	}

	/** `kill -9`: no chance to finish postbacks in flight or release claims. Resolves with its pid. */
	async kill(): Promise<number> {
		const proc = this.current?.proc;
		this.url = null;
		if (!proc) throw new Error(`server ${this.name} is not running`);
		proc.kill("SIGKILL");
		await proc.exited;
		return proc.pid;
	}

	async stop(): Promise<void> {
		this.url = null;
		if (this.current) await stopProcess(this.current.proc);
	}
}

async function waitHealthy(url: string, timeoutMs = 10_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		const ok = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) })
			.then((r) => r.status === 200)
			.catch(() => false);
		if (ok) return;
		await Bun.sleep(50);
	}
	throw new Error(`${url} did not answer GET / with 200 within ${timeoutMs} ms`);
}

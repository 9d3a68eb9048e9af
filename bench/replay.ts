/**
 * `bun bench/replay.ts [EVENTS]`: how fast `replay --dry-run --all` and `rebuild` read
 * a long log, and whether memory stays flat. Writes a log of EVENTS events (default
 * 100,000) shaped like real ones (bench/lib/seedLog.ts) into a temp SQLite file, then runs
 * the commands in process, stdout counted and discarded, RSS sampled by a worker
 * thread (the commands run long synchronous stretches a timer in this thread would miss).
 * With DATABASE_URL set, the log is written to that PostgreSQL database instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/cli.ts";
import { openStorage } from "../src/storage/open.ts";
import { seedLog } from "./lib/seedLog.ts";

const target = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "citybase-bench-"));
const databasePath = join(dir, "events.sqlite");
/** Set: the log goes to this PostgreSQL database (empty, and left as written) instead of the SQLite file. */
const databaseUrl = process.env.DATABASE_URL || null;

/** The shared generator (bench/lib/seedLog.ts); the read model is left unfolded for `rebuild` to fold. */
async function generate(): Promise<number> {
	const storage = await openStorage({ databasePath, databaseUrl });
	try {
		return (await seedLog(storage, target)).events;
	} finally {
		await storage.close();
	}
}

/** A worker that keeps the highest RSS it sees, asked for it (and reset) between phases. */
function startSampler() {
	const source = `
		let peak = 0;
		setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 2);
		self.onmessage = () => { postMessage(Math.max(peak, process.memoryUsage().rss)); peak = 0; };
	`;
	const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
	return {
		peak: () =>
			new Promise<number>((resolve) => {
				worker.onmessage = (event) => resolve(event.data as number);
				worker.postMessage("peak");
			}),
		stop: () => worker.terminate(),
	};
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function phase(name: string, argv: string[], events: number, sampler: ReturnType<typeof startSampler>) {
	let bytes = 0;
	let stderr = "";
	// The generator's and earlier phases' garbage collected first, so each peak is the phase's own.
	Bun.gc(true);
	await sampler.peak();
	const before = process.memoryUsage().rss;
	const started = performance.now();
	const code = await runCli(argv, {
		stdout: {
			write: (chunk: string) => {
				bytes += chunk.length;
			},
		},
		stderr: {
			write: (chunk: string) => {
				stderr += chunk;
			},
		},
		stdin: (async function* () {})(),
		isTTY: false,
		env: {
			CITYBASE_ENV: "development",
			DATABASE_PATH: databasePath,
			...(databaseUrl && { DATABASE_URL: databaseUrl }),
		},
	});
	const ms = performance.now() - started;
	const peak = await sampler.peak();
	if (code !== 0) throw new Error(`${name} exited ${code}: ${stderr}`);
	console.log(
		`${name.padEnd(30)} ${String(Math.round((events / ms) * 1000)).padStart(8)} events/s  ${(ms / 1000).toFixed(2).padStart(6)} s  ` +
			`RSS ${mb(before)} → peak ${mb(peak)}  stdout ${mb(bytes)}`,
	);
	return stderr;
}

try {
	const sampler = startSampler();
	const started = performance.now();
	const events = await generate();
	console.log(
		`generated ${events} events in ${((performance.now() - started) / 1000).toFixed(2)} s (${databaseUrl ?? databasePath})`,
	);
	const summary = await phase("replay --dry-run --all", ["replay", "--dry-run", "--all"], events, sampler);
	console.log(`  ${summary.trim().split("\n").at(-1)}`);
	await phase("replay --dry-run --all --force", ["replay", "--dry-run", "--all", "--force"], events, sampler);
	await phase("replay --dry-run --all --json", ["replay", "--dry-run", "--all", "--json"], events, sampler);
	await phase("rebuild", ["rebuild"], events, sampler);
	sampler.stop();
} finally {
	rmSync(dir, { recursive: true, force: true });
}

/**
 * `bun bench/replay.ts [EVENTS]`: how fast `replay --dry-run --all` and `rebuild` read
 * a long log, and whether memory stays flat. Writes a log of EVENTS events (default
 * 100,000) shaped like real ones into a temp SQLite file in one transaction, then runs
 * the commands in process, stdout counted and discarded, RSS sampled by a worker
 * thread (the commands run long synchronous stretches a timer in this thread would miss).
 * With DATABASE_URL set, the log is written to that PostgreSQL database instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/cli.ts";
import { type Payment, parseDelivery } from "../src/events/payload.ts";
import { type EffectKind, EventTypes } from "../src/events/types.ts";
import { openStorage } from "../src/storage/open.ts";
import type { ImportedEvent } from "../src/storage/storage.ts";
import { postback } from "../test/support/payloads.ts";

const target = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "citybase-bench-"));
const databasePath = join(dir, "events.sqlite");
/** Set: the log goes to this PostgreSQL database (empty, and left as written) instead of the SQLite file. */
const databaseUrl = process.env.DATABASE_URL || null;

/** A real postback body; `__ID__` stands for the payment id. */
const template = JSON.stringify(
	postback({
		id: 0,
		status: "successful",
		invoice: "INV2025-__ID__",
		knackRecordId: "5f__ID__",
		bannerType: "LAMPPOST",
		parentRecordId: "5e__ID__",
	}),
).replace('"id":0', '"id":__ID__');

const paymentOf = (id: number): Payment => ({
	citybaseId: id,
	status: "successful",
	app: "STREET_BANNER",
	invoice: `INV2025-${id}`,
	knackRecordId: `5f${id}`,
	parentRecordId: `5e${id}`,
	bannerType: "LAMPPOST",
	totalAmountText: "6000",
});

// The accepted events are written without parsing each body: check once that they say what the parser would.
const check = parseDelivery(Buffer.from(template.replaceAll("__ID__", "1000000")));
if (!check.accepted || JSON.stringify(check.payment) !== JSON.stringify(paymentOf(1_000_000))) {
	throw new Error(`the bench's payments differ from what the parser makes of its bodies: ${JSON.stringify(check)}`);
}

/** Every 20th payment stopped before its transaction update, every 50th was delivered twice. */
async function generate(): Promise<number> {
	const storage = await openStorage({ databasePath, databaseUrl });
	const importer = storage.transfer.importer();
	let batch: { event: ImportedEvent; lineNumber: number }[] = [];
	let seq = 0;
	const append = async (e: Omit<ImportedEvent, "seq">) => {
		seq++;
		batch.push({ event: { seq, ...e }, lineNumber: seq });
		if (batch.length === 5000) {
			await importer.apply(batch);
			batch = [];
		}
		return seq;
	};
	let written = 0;
	let time = Date.parse("2025-01-01T12:00:00Z");
	for (let id = 1_000_000; written < target; id++) {
		const deliveries = id % 50 === 0 ? 2 : 1;
		for (let d = 0; d < deliveries && written < target; d++) {
			time += 1000;
			const body = Buffer.from(template.replaceAll("__ID__", String(id)));
			const p = paymentOf(id);
			const none = { deliverySeq: null, citybaseId: null, paymentStatus: null, invoice: null, effectKey: null };
			const deliverySeq = await append({
				...none,
				type: EventTypes.received,
				recordedAt: time,
				body,
				data: '{"contentType":"application/json","remoteAddress":"127.0.0.1","requestId":null}',
			});
			const tied = async (type: string, effectKey: string | null, data: unknown) => {
				if (written >= target) return;
				await append({
					type,
					recordedAt: time,
					deliverySeq,
					citybaseId: p.citybaseId,
					paymentStatus: p.status,
					invoice: p.invoice,
					effectKey,
					body: null,
					data: JSON.stringify(data),
				});
				written++;
			};
			written++;
			await tied(EventTypes.accepted, null, { payment: p });
			if (d > 0) {
				await tied(EventTypes.applied, null, { performed: 0, skipped: 3 });
				continue;
			}
			const kinds: [EffectKind, string, string, string | null][] = [
				["message", "POST", "object_181", `6a${String(id).padStart(22, "0")}`],
				["parent", "PUT", "object_161", p.parentRecordId],
				["transaction", "PUT", "object_180", p.knackRecordId],
			];
			const unfinished = id % 20 === 0;
			for (const [kind, method, objectKey, recordId] of unfinished ? kinds.slice(0, 2) : kinds) {
				await tied(EventTypes.effectSucceeded, `${p.citybaseId}:${p.status}:${kind}`, {
					kind,
					method,
					objectKey,
					recordId,
					knackStatus: 200,
					via: "call",
					durationMs: 120,
				});
			}
			if (!unfinished) await tied(EventTypes.applied, null, { performed: 3, skipped: 0 });
		}
	}
	await importer.apply(batch);
	await storage.close();
	return written;
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

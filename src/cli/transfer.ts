import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { exportLine, parseExportLine } from "../storage/exportFormat.ts";
import { type ImportedEvent, TransferError } from "../storage/storage.ts";
import { type Command, flag, jsonOption, stringOption } from "./command.ts";
import { parseDateBound } from "./dates.ts";
import { CliError, ExitCode } from "./io.ts";
import { duration, printJson } from "./output.ts";

/** `export`, `import` and `backup`: the log as NDJSON, and a consistent copy of the SQLite file. */
export const exportCommand: Command = {
	name: "export",
	summary: "Write the log to stdout as NDJSON: one event a line, in log order, the delivery bytes base64.",
	details:
		"`import FILE` reads it back, keeping every event's position. Bodies are written as they are stored:\nan encrypted one stays encrypted.",
	options: {
		since: { type: "string", value: "DATE", description: "only events recorded at or after DATE (Austin time)" },
	},
	positionals: { min: 0, max: 0 },
	store: "reads",
	async run(args, ctx) {
		const since = stringOption(args, "since");
		let lines = 0;
		for await (const event of (await ctx.storage()).transfer.events({
			since: since === undefined ? undefined : parseDateBound(since, "--since", "start"),
		})) {
			ctx.out.line(exportLine(event));
			if (++lines % 1000 === 0) {
				await ctx.out.drain();
				if (ctx.io.signal?.aborted) {
					ctx.note(`export interrupted after ${lines} events`);
					return ExitCode.interrupted;
				}
			}
		}
		await ctx.out.drain();
		ctx.note(`exported ${lines} events`);
		return ExitCode.ok;
	},
};

export const importCommand: Command = {
	name: "import",
	operands: "FILE",
	summary:
		"Add the events of an NDJSON export to the log (DATABASE_PATH, created if missing), keeping their positions.",
	details: [
		"Idempotent: an event already at its position with the same content is skipped, so importing a file twice",
		"adds nothing. A different event at a position is an error, and then nothing is imported: the whole file is",
		"checked before the first event is written. Run `rebuild` afterwards to refresh the payments read model.",
		"With EVENT_LOG_KEYS set, a body that comes in clear is encrypted with the first key as it is imported (how a",
		"log from before encryption moves into an encrypted store); an encrypted body is kept byte for byte.",
	].join("\n"),
	options: { ...jsonOption },
	positionals: { min: 1, max: 1 },
	store: { writes: "import adds the events to the log" },
	async run(args, ctx) {
		const file = args.positionals[0] as string;
		if (!existsSync(file)) throw new CliError(`no file ${file}`);
		const importer = (await ctx.storage({ create: true })).transfer.importer();
		const started = performance.now();
		try {
			let fresh = 0;
			for await (const { event, lineNumber } of events(file)) {
				if ((await importer.check(event, lineNumber)) === "new") fresh++;
			}
			let inserted = 0;
			let skipped = 0;
			let batch: { event: ImportedEvent; lineNumber: number }[] = [];
			const flush = async () => {
				const result = await importer.apply(batch);
				inserted += result.inserted;
				skipped += result.skipped;
				batch = [];
			};
			for await (const item of events(file)) {
				batch.push(item);
				if (batch.length === 1000) await flush();
			}
			await flush();
			const ms = performance.now() - started;
			if (flag(args, "json")) {
				printJson(ctx.out, { file, inserted, skipped, ms: Math.round(ms) });
			} else {
				ctx.out.line(`imported ${inserted} events, ${skipped} already present, from ${file} in ${duration(ms)}`);
				if (inserted !== fresh) ctx.note(`note: ${fresh - inserted} events were added by someone else meanwhile`);
			}
			return ExitCode.ok;
		} catch (error) {
			if (error instanceof TransferError) throw new CliError(`${file}: ${error.message}`);
			throw error;
		}
	},
};

async function* events(file: string): AsyncGenerator<{ event: ImportedEvent; lineNumber: number }> {
	const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
	let lineNumber = 0;
	for await (const line of lines) {
		lineNumber++;
		if (line.trim() === "") continue;
		yield { event: parseExportLine(line, lineNumber), lineNumber };
	}
}

export const backupCommand: Command = {
	name: "backup",
	operands: "PATH",
	summary:
		"Write a consistent copy of the live store to PATH (SQLite: VACUUM INTO; PostgreSQL: an NDJSON export that import reads), then check the copy.",
	details: "The service may keep running. PATH must not exist yet.",
	options: { ...jsonOption },
	positionals: { min: 1, max: 1 },
	store: "reads",
	async run(args, ctx) {
		const path = args.positionals[0] as string;
		const started = performance.now();
		try {
			const { events: count, bytes } = await (await ctx.storage()).transfer.backup(path);
			const ms = performance.now() - started;
			if (flag(args, "json")) printJson(ctx.out, { path, events: count, bytes, ms: Math.round(ms) });
			else ctx.out.line(`backed up ${count} events to ${path} (${(bytes / 1024).toFixed(0)} KiB) in ${duration(ms)}`);
			return ExitCode.ok;
		} catch (error) {
			if (error instanceof TransferError) throw new CliError(error.message);
			throw error;
		}
	},
};

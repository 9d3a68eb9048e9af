import {
	type Command,
	exitCodeLines,
	helpText,
	knackUse,
	parseCommandArgs,
	storeWrites,
	stringOption,
	usageLine,
} from "./cli/command.ts";
import { type CliContext, createCliContext } from "./cli/context.ts";
import { eventsList, eventsShow } from "./cli/events.ts";
import { CliError, type CliIo, ExitCode, type ExitName, UsageError, type Writer } from "./cli/io.ts";
import { keys } from "./cli/keys.ts";
import { paymentsShow } from "./cli/payments.ts";
import { pending } from "./cli/pending.ts";
import { rebuild } from "./cli/rebuild.ts";
import { replay } from "./cli/replay.ts";
import { stuck } from "./cli/stuck.ts";
import { backupCommand, exportCommand, importCommand } from "./cli/transfer.ts";
import { verify } from "./cli/verify.ts";

/**
 * The operator CLI: `bun run cli <command>` (or `bun src/cli.ts`, or `atd-citybase cli`
 * in the single executable). Each command is a thin shell over the functions the
 * service itself runs, reading the same configuration from the environment.
 */
export const commands: Command[] = [
	eventsList,
	eventsShow,
	paymentsShow,
	pending,
	stuck,
	replay,
	rebuild,
	verify,
	exportCommand,
	importCommand,
	backupCommand,
	keys,
];

function overview(): string {
	const rows = commands.map((c) => [`${c.name}${c.operands ? ` ${c.operands}` : ""}`, c.summary]);
	const width = Math.max(...rows.map(([name]) => (name as string).length));
	return [
		"atd-citybase operator commands",
		"",
		"Usage: cli <command> [options]   (bun run cli …, bun src/cli.ts …, atd-citybase cli …)",
		"",
		"Commands:",
		...rows.map(([name, summary]) => `  ${(name as string).padEnd(width)}  ${summary}`),
		"",
		"Configuration comes from the environment, as for the service: DATABASE_PATH, CITYBASE_ENV, KNACK_*,",
		"EVENT_LOG_KEYS (to read delivery bodies).",
		"Commands that call Knack (replay, verify) use the KNACK_* credentials; in development without them, the",
		"development service's Knack sandbox (127.0.0.1, KNACK_SANDBOX_PORT) when it is running, or the sandbox",
		"KNACK_API_URL names, with its default credentials. A dry run calls no Knack and needs none.",
		"Every Knack write is recorded under a person's name: --as NAME, else CITYBASE_OPERATOR, else the OS user.",
		"In production a command that writes to Knack refuses to run without --as or CITYBASE_OPERATOR.",
		"A command that only reads also runs on a store it may not write (a backup on a read-only mount): it opens",
		"it read-only and says so on stderr; one that writes refuses and says why.",
		"DEBUG=1 adds the stack trace to an unexpected error.",
		"",
		"Exit codes:",
		...exitCodeLines(Object.keys(ExitCode) as ExitName[]),
		"",
		"Run `cli <command> --help` for a command's options.",
		"",
	].join("\n");
}

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
	const command = commands.find((c) => argv.slice(0, c.name.split(" ").length).join(" ") === c.name);
	if (!command) {
		if (argv.length === 0 || ["help", "--help", "-h"].includes(argv[0] as string)) {
			io.stdout.write(overview());
			return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
		}
		const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
		if (group.length > 0 && (argv.length === 1 || ["--help", "-h"].includes(argv[1] as string))) {
			io.stdout.write(`${group.map((c) => `${usageLine(c)}\n  ${c.summary}`).join("\n")}\n`);
			return argv.length === 1 ? ExitCode.usage : ExitCode.ok;
		}
		io.stderr.write(
			`error: unknown command ${JSON.stringify(argv.slice(0, group.length > 0 ? 2 : 1).join(" "))}\n\n${overview()}`,
		);
		return ExitCode.usage;
	}

	const rest = argv.slice(command.name.split(" ").length);
	let ctx: CliContext | undefined;
	try {
		const args = parseCommandArgs(command, rest);
		if (args === "help") {
			io.stdout.write(helpText(command));
			return ExitCode.ok;
		}
		ctx = createCliContext(io, {
			storeWrites: storeWrites(command, args),
			knack: knackUse(command, args),
			as: stringOption(args, "as"),
		});
		const code = await command.run(args, ctx);
		await ctx.out.drain();
		return code;
	} catch (error) {
		ctx?.out.flush();
		if (error instanceof UsageError) {
			io.stderr.write(
				`error: ${error.message}\n${usageLine(command)}\nRun \`cli ${command.name} --help\` for its options.\n`,
			);
			return ExitCode.usage;
		}
		io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
		if (!(error instanceof CliError) && error instanceof Error && io.env.DEBUG) io.stderr.write(`${error.stack}\n`);
		return ExitCode.failed;
	} finally {
		await ctx?.close();
	}
}

function processIo(): CliIo {
	return {
		stdout: process.stdout,
		stderr: process.stderr,
		// Opened only when a confirmation is asked: an open stdin would keep the process alive.
		stdin: { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() },
		isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
		env: process.env,
	};
}

/**
 * stdout for a real process. A reader that goes away (`export | head`) ends the command
 * like Ctrl-C, after the Knack call in flight; what is still printed goes nowhere
 * instead of waiting forever for a pipe that will not drain.
 */
function processStdout(onClosed: () => void): Writer {
	let closed = false;
	const waiting: (() => void)[] = [];
	process.stdout.on("error", (error: Error & { code?: string }) => {
		if (error.code !== "EPIPE") throw error;
		closed = true;
		onClosed();
		for (const resume of waiting.splice(0)) resume();
	});
	return {
		write: (chunk) => closed || process.stdout.write(chunk),
		once(_event, listener) {
			if (closed) return listener();
			waiting.push(listener);
			process.stdout.once("drain", listener);
		},
	};
}

/**
 * The CLI as a process: Ctrl-C stops a long command after the Knack call in flight,
 * and a reader that goes away stops it too instead of leaving it stuck on a full pipe.
 * `runCli` answers only once stdout has drained, so exiting right after loses nothing.
 */
export function cliMain(argv: string[]): Promise<number> {
	const interrupt = new AbortController();
	process.on("SIGINT", () => {
		if (interrupt.signal.aborted) process.exit(ExitCode.interrupted);
		interrupt.abort();
		process.stderr.write("\nstopping after the Knack call in flight (Ctrl-C again to quit at once)\n");
	});
	const stdout = processStdout(() => interrupt.abort());
	return runCli(argv, { ...processIo(), stdout, signal: interrupt.signal });
}

if (import.meta.main) process.exitCode = await cliMain(process.argv.slice(2));

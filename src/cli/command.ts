import { parseArgs } from "node:util";
import type { CliContext } from "./context.ts";
import { commonExits, ExitCode, type ExitName, exitMeanings, UsageError } from "./io.ts";

/**
 * What every operator command is made of: a name, its options (described once, so
 * `--help` and parsing cannot drift apart) and a `run` that answers an exit code.
 */
export interface OptionSpec {
	type: "string" | "boolean";
	/** the value's placeholder in help, e.g. `ID` */
	value?: string;
	description: string;
}

export interface Args {
	values: Record<string, string | boolean | undefined>;
	positionals: string[];
}

export interface Command {
	/** the words that select it, e.g. `events list` */
	name: string;
	summary: string;
	/** positional arguments as shown in help, e.g. `SEQ` */
	operands?: string;
	/** more help text, shown under the usage line */
	details?: string;
	options: Record<string, OptionSpec>;
	positionals: { min: number; max: number };
	store: StoreAccess;
	/** what a run does to Knack; absent: it never calls Knack */
	knack?: KnackAccess;
	/** exit codes of its own, besides the common ones */
	exits?: ExitName[];
	run(args: Args, ctx: CliContext): Promise<number>;
}

/**
 * What a command does to the event store. One that only `reads` also runs on a store it
 * may not write (a backup on a read-only mount), opened read-only; one that writes says
 * why, for the operator it then refuses. When only some runs write, `onlyWith` or
 * `unlessWith` names the flag that decides (`verify --fix`, all but `replay --dry-run`).
 */
export type StoreAccess = "reads" | ({ writes: string } & When);

/** A condition on a run's flags; empty: every run. */
export interface When {
	onlyWith?: string;
	unlessWith?: string;
}

/**
 * When a run calls Knack, and when it writes there: a run that writes to the production
 * Knack must name the person it is recorded under (`--as` or CITYBASE_OPERATOR).
 */
export interface KnackAccess {
	calls: When;
	writes: When;
}

const applies = (when: When, args: Args) =>
	(when.onlyWith === undefined || flag(args, when.onlyWith)) &&
	(when.unlessWith === undefined || !flag(args, when.unlessWith));

/** Why this run of the command writes to the store, or null when it only reads. */
export function storeWrites(command: Command, args: Args): string | null {
	const { store } = command;
	return store !== "reads" && applies(store, args) ? store.writes : null;
}

/** What this run does to Knack. */
export function knackUse(command: Command, args: Args): "none" | "reads" | "writes" {
	const { knack } = command;
	if (!knack || !applies(knack.calls, args)) return "none";
	return applies(knack.writes, args) ? "writes" : "reads";
}

export const jsonOption: Record<string, OptionSpec> = {
	json: { type: "boolean", description: "print JSON for scripts instead of a table" },
};

/** Who is at the controls, for a command that records it (a Knack write, a reveal). */
export const asOption: Record<string, OptionSpec> = {
	as: {
		type: "string",
		value: "NAME",
		description: "your name, recorded with what this does (default CITYBASE_OPERATOR, else the OS user)",
	},
};

export function parseCommandArgs(command: Command, argv: string[]): Args | "help" {
	const options = Object.fromEntries(
		Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type }]),
	);
	let parsed: ReturnType<typeof parseArgs>;
	try {
		parsed = parseArgs({
			args: argv,
			options: { ...options, help: { type: "boolean", short: "h" } },
			allowPositionals: true,
			strict: true,
		});
	} catch (error) {
		throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""));
	}
	if (parsed.values.help) return "help";
	const { min, max } = command.positionals;
	if (parsed.positionals.length < min) throw new UsageError(`missing ${command.operands ?? "argument"}`);
	if (parsed.positionals.length > max) {
		throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
	}
	return { values: parsed.values as Args["values"], positionals: parsed.positionals };
}

export function usageLine(command: Command): string {
	return `Usage: cli ${command.name}${command.operands ? ` ${command.operands}` : ""}${
		Object.keys(command.options).length > 0 ? " [options]" : ""
	}`;
}

export function helpText(command: Command): string {
	const rows = [
		...Object.entries(command.options).map(([name, spec]) => [
			`--${name}${spec.value ? ` ${spec.value}` : ""}`,
			spec.description,
		]),
		["-h, --help", "show this help"],
	];
	const width = Math.max(...rows.map(([flag]) => (flag as string).length));
	const lines = [usageLine(command), "", command.summary];
	if (command.details) lines.push("", command.details);
	lines.push("", "Options:", ...rows.map(([flag, text]) => `  ${(flag as string).padEnd(width)}  ${text}`));
	lines.push("", "Exit codes:", ...exitCodeLines([...commonExits, ...(command.exits ?? [])]));
	return `${lines.join("\n")}\n`;
}

/** `  75  stopped at …`, in the order of the codes. */
export function exitCodeLines(names: ExitName[]): string[] {
	return [...new Set(names)]
		.sort((a, b) => ExitCode[a] - ExitCode[b])
		.map((name) => `  ${String(ExitCode[name]).padStart(3)}  ${exitMeanings[name]}`);
}

export function stringOption(args: Args, name: string): string | undefined {
	const value = args.values[name];
	return typeof value === "string" ? value : undefined;
}

export function flag(args: Args, name: string): boolean {
	return args.values[name] === true;
}

export function integerOption(args: Args, name: string, min = 0): number | undefined {
	const raw = stringOption(args, name);
	if (raw === undefined) return undefined;
	return parseInteger(raw, `--${name}`, min);
}

export function parseInteger(raw: string, what: string, min = 0): number {
	if (!/^\d+$/.test(raw.trim())) throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(raw)}`);
	const value = Number(raw);
	if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`${what} must be at least ${min}`);
	return value;
}

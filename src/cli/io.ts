/**
 * What a command talks to, and the errors it answers with: the leaves of the CLI, which
 * every other CLI module may import (none of them imports back).
 */
/** 75 is EX_TEMPFAIL: the Knack daily quota stopped the command; the same command later goes on. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, pending: 3, quota: 75, interrupted: 130 } as const;
export type ExitName = keyof typeof ExitCode;

/** What each exit code means, as `--help` lists them. */
export const exitMeanings: Record<ExitName, string> = {
	ok: "done",
	failed: "failed, or Knack disagrees with the log (verify)",
	usage: "usage error; also a command that writes to the production Knack without a person's name",
	pending: "something is waiting for Knack (pending), so a cron job can alert on it",
	quota: "stopped at the Knack daily quota's reserve; the same command goes on after the reset",
	interrupted: "interrupted (Ctrl-C)",
};
/** Every command may answer these; `Command.exits` adds its own. */
export const commonExits: ExitName[] = ["ok", "failed", "usage", "interrupted"];

/** Wrong invocation: the message and the command's usage are printed, exit 2. */
export class UsageError extends Error {}
/** An operational failure with a message meant for the operator, exit 1. */
export class CliError extends Error {}

export interface Writer {
	write(chunk: string): unknown;
	/** a stream that answered `false` to `write` says here when it can take more */
	once?(event: "drain", listener: () => void): unknown;
}

export interface CliIo {
	stdout: Writer;
	stderr: Writer;
	/** where a confirmation is read from */
	stdin: AsyncIterable<Uint8Array | string>;
	/** an operator is at a terminal: progress bars, and confirmations can be asked */
	isTTY: boolean;
	env: Record<string, string | undefined>;
	/** aborted on Ctrl-C: long commands stop after the Knack call in flight */
	signal?: AbortSignal;
}

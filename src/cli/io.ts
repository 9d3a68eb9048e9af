/**
 * What a command talks to, and the errors it answers with: the leaves of the CLI, which
 * every other CLI module may import (none of them imports back).
 */
/** 75 is EX_TEMPFAIL: the Knack daily quota stopped the command; the same command later goes on. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, quota: 75, interrupted: 130 } as const;

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

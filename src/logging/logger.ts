/**
 * One logger for the whole service: JSON lines, one per event, written to every sink.
 * Context (citybase_id, delivery_seq, request_id, ...) is carried by child loggers so
 * every line about a postback can be tied back to it.
 */
import { createSecretMasker, needsReplacer, redactingReplacer } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogContext = Record<string, unknown>;

export interface Logger {
	debug(message: string, context?: LogContext): void;
	info(message: string, context?: LogContext): void;
	warn(message: string, context?: LogContext): void;
	error(message: string, context?: LogContext): void;
	child(context: LogContext): Logger;
}

/** Where formatted lines go. `write` must never throw nor block on I/O. */
export interface LogSink {
	write(line: string, timestampMs: number): void;
	flush?(): Promise<void>;
	close?(): Promise<void>;
}

export interface RootLogger extends Logger {
	flush(): Promise<void>;
	close(): Promise<void>;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const stdoutSink: LogSink = {
	write(line) {
		process.stdout.write(`${line}\n`);
	},
};

export interface LoggerOptions {
	sinks: LogSink[];
	level?: LogLevel;
	clock?: () => number;
	context?: LogContext;
	/** Values (API keys, tokens) masked wherever they appear in a line. */
	secrets?: readonly string[];
}

export function createLogger(options: LoggerOptions): RootLogger {
	const minRank = levelRank[options.level ?? "info"];
	const clock = options.clock ?? Date.now;
	const maskSecrets = createSecretMasker(options.secrets ?? []);

	// A log call sits on the postback's path: it must not throw, whatever the context
	// holds (a cycle, a BigInt) and whatever a sink does.
	const emit = (level: LogLevel, message: string, context: LogContext) => {
		if (levelRank[level] < minRank) return;
		const now = clock();
		const time = new Date(now).toISOString();
		let json: string;
		try {
			const record = { time, level, message, ...context };
			json = JSON.stringify(record, needsReplacer(context) ? redactingReplacer : undefined);
		} catch (error) {
			const reason = error instanceof Error ? error.message : String(error);
			json = JSON.stringify({ time, level, message, log_error: `context not serializable: ${reason}` });
		}
		const line = maskSecrets(json);
		for (const sink of options.sinks) {
			try {
				sink.write(line, now);
			} catch {
				// A sink that breaks its contract loses its line, not the caller's request.
			}
		}
	};

	const make = (bound: LogContext): Logger => ({
		debug: (m, c) => emit("debug", m, { ...bound, ...c }),
		info: (m, c) => emit("info", m, { ...bound, ...c }),
		warn: (m, c) => emit("warn", m, { ...bound, ...c }),
		error: (m, c) => emit("error", m, { ...bound, ...c }),
		child: (c) => make({ ...bound, ...c }),
	});

	return {
		...make(options.context ?? {}),
		async flush() {
			await Promise.all(options.sinks.map((s) => s.flush?.()));
		},
		async close() {
			await Promise.all(options.sinks.map((s) => s.close?.()));
		},
	};
}

/** A sink that keeps lines in memory, for tests that read what was logged. */
export function memorySink(): LogSink & { lines: string[] } {
	const lines: string[] = [];
	return { lines, write: (line) => void lines.push(line) };
}

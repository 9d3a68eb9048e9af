/**
 * One logger for the whole service: JSON lines, one per event, written to every sink.
 * Context (citybase_id, event_seq, request_id, ...) is carried by child loggers so
 * every line about a postback can be tied back to it.
 */
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
}

export function createLogger(options: LoggerOptions): RootLogger {
	const minRank = levelRank[options.level ?? "info"];
	const clock = options.clock ?? Date.now;

	const emit = (level: LogLevel, message: string, context: LogContext) => {
		if (levelRank[level] < minRank) return;
		const now = clock();
		const line = JSON.stringify({ time: new Date(now).toISOString(), level, message, ...context });
		for (const sink of options.sinks) sink.write(line, now);
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

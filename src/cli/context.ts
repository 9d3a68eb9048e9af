import { existsSync } from "node:fs";
import type { OperatorDeps } from "../application/operator/deps.ts";
import { type Config, ConfigError, fieldMapName, loadConfig } from "../config.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import type { KnackClient } from "../projections/knack/client.ts";
import { knackClientFor } from "../projections/knack/factory.ts";
import type { FieldMapName } from "../projections/knack/fieldMaps.ts";
import { sandboxCredentials } from "../sandboxCredentials.ts";
import { openStorage } from "../storage/open.ts";
import type { Storage } from "../storage/storage.ts";
import { CliError, type CliIo, UsageError } from "./io.ts";
import { Output } from "./output.ts";

/**
 * What a command may need, each made on first use: `--help` needs no configuration,
 * a dry run no Knack credentials, and `import` may create the database file.
 */
export interface CliContext {
	io: CliIo;
	out: Output;
	/** a line on stderr, for the operator, never for a script reading stdout */
	note(line: string): void;
	config(): Config;
	fieldMap(): FieldMapName;
	/** the service's store; `create` for a command that may make a new one (import) */
	storage(options?: { create?: boolean }): Promise<Storage>;
	/** the Knack client, rate limited per app like the service's */
	knack(): KnackClient;
	logger(): Logger;
	/** what the operator functions need, from the above */
	operator(): Promise<OperatorDeps>;
	/** before writing to the production Knack: asks, or refuses without a terminal (exit 2) */
	confirmKnackWrites(what: string, yes: boolean): Promise<boolean>;
	close(): Promise<void>;
}

const realKnack = /(^|\.)knack\.com$/i;

export function createCliContext(io: CliIo): CliContext {
	const out = new Output(io.stdout);
	let config: Config | undefined;
	let storage: Promise<Storage> | undefined;
	let knack: KnackClient | undefined;
	let logger: Logger | undefined;

	const context: CliContext = {
		io,
		out,
		note(line) {
			io.stderr.write(`${line}\n`);
		},
		config() {
			if (!config) {
				try {
					config = loadConfig(io.env);
				} catch (error) {
					if (error instanceof ConfigError) throw new CliError(`configuration error: ${error.message}`);
					throw error;
				}
			}
			return config;
		},
		fieldMap() {
			return fieldMapName(context.config().environment);
		},
		storage({ create = false } = {}) {
			if (!storage) {
				const { databasePath: path, databaseUrl } = context.config();
				if (!databaseUrl && !create && path !== ":memory:" && !existsSync(path)) {
					throw new CliError(`no event store at ${path} (set DATABASE_PATH to the service's SQLite file)`);
				}
				storage = openStorage(context.config());
			}
			return storage;
		},
		knack() {
			knack ??= knackClientFor(context.config().knack, { credentials: knackCredentials(context.config(), io.env) });
			return knack;
		},
		async operator() {
			const { postback } = context.config();
			return {
				storage: await context.storage(),
				fieldMap: context.fieldMap(),
				knack: context.knack,
				logger: context.logger(),
				deadlineMs: postback.deadlineMs,
				claimLeaseMs: postback.claimLeaseMs,
				holderPrefix: `cli-${process.pid}`,
			};
		},
		logger() {
			logger ??= createLogger({
				level: "warn",
				secrets: context.config().secrets,
				sinks: [{ write: (line) => context.note(operatorLine(line)) }],
			});
			return logger;
		},
		async confirmKnackWrites(what, yes) {
			if (yes || context.config().environment !== "production") return true;
			if (!io.isTTY) {
				throw new UsageError(`refusing to ${what} in the production Knack without --yes (no terminal to confirm on)`);
			}
			io.stderr.write(`This will ${what} in the PRODUCTION Knack. Continue? [y/N] `);
			const answer = (await readLine(io.stdin)).trim().toLowerCase();
			return answer === "y" || answer === "yes";
		},
		async close() {
			out.flush();
			// A store that failed to open has nothing to close; its error was already reported.
			await (await storage?.catch(() => undefined))?.close();
		},
	};
	return context;
}

/**
 * The service's credentials; in development without them, the Knack sandbox's default
 * credentials, but only when KNACK_API_URL names a sandbox: a command never sends
 * made-up credentials to the real Knack.
 */
function knackCredentials(config: Config, env: Record<string, string | undefined>) {
	if (config.knack.credentials) return config.knack.credentials;
	const host = new URL(config.knack.apiUrl).hostname;
	if (!env.KNACK_API_URL?.trim() || realKnack.test(host)) {
		throw new CliError(
			"this command calls Knack and there are no Knack credentials: set KNACK_STREET_BANNER_APP_ID, " +
				"KNACK_STREET_BANNER_API_KEY, KNACK_SMART_MOBILITY_APP_ID and KNACK_SMART_MOBILITY_API_KEY, or point " +
				"KNACK_API_URL at a Knack sandbox, whose default credentials are then used (the development service's " +
				`embedded sandbox: KNACK_API_URL=http://127.0.0.1:${config.knack.sandboxPort}/v1)`,
		);
	}
	return sandboxCredentials;
}

/** The projector's warnings as one readable line: `warning: message (key=value, ...)`. */
function operatorLine(jsonLine: string): string {
	try {
		const { level, message, time: _time, ...rest } = JSON.parse(jsonLine) as Record<string, unknown>;
		const context = Object.entries(rest)
			.filter(([, v]) => v !== null && v !== undefined)
			.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
		return `${level === "warn" ? "warning" : String(level)}: ${String(message)}${context.length > 0 ? ` (${context.join(", ")})` : ""}`;
	} catch {
		return jsonLine;
	}
}

async function readLine(stdin: AsyncIterable<Uint8Array | string>): Promise<string> {
	const decoder = new TextDecoder();
	let line = "";
	for await (const chunk of stdin) {
		line += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
		const end = line.indexOf("\n");
		if (end >= 0) return line.slice(0, end);
	}
	return line;
}

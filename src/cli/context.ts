import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import type { OperatorDeps } from "../application/operator/deps.ts";
import { type Config, ConfigError, fieldMapName, loadConfig } from "../config.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import type { KnackClient } from "../projections/knack/client.ts";
import { knackClientFor } from "../projections/knack/factory.ts";
import type { FieldMapName } from "../projections/knack/fieldMaps.ts";
import { sandboxCredentials } from "../sandboxCredentials.ts";
import { openStorage, whyUnwritable } from "../storage/open.ts";
import { type KnackBudgetStore, type Storage, StorageOpenError } from "../storage/storage.ts";
import { CliError, type CliIo, UsageError } from "./io.ts";
import { Output } from "./output.ts";

/**
 * What a command may need, each made on first use: `--help` needs no configuration,
 * a dry run no Knack credentials, and `import` may create the database file. A store
 * this process may not write is opened read-only for a command that only reads it.
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
	logger(): Logger;
	/** what the operator functions need, from the above */
	operator(): Promise<OperatorDeps>;
	/** before writing to the production Knack: asks, or refuses without a terminal (exit 2) */
	confirmKnackWrites(what: string, yes: boolean): Promise<boolean>;
	close(): Promise<void>;
}

const realKnack = /(^|\.)knack\.com$/i;

export interface CommandNeeds {
	/** why the command writes to the store (`storeWrites`), or null when it only reads */
	storeWrites: string | null;
}

export function createCliContext(io: CliIo, needs: CommandNeeds): CliContext {
	const out = new Output(io.stdout);
	let config: Config | undefined;
	let storage: Promise<Storage> | undefined;
	let knack: KnackClient | undefined;
	let logger: Logger | undefined;

	// The Knack client, rate limited per app like the service's: its budget is the store's,
	// shared with the service, so the client is made once the store is open.
	function knackFor(budget: KnackBudgetStore): KnackClient {
		knack ??= knackClientFor(context.config().knack, {
			credentials: knackCredentials(context.config(), io.env),
			budget,
			logger: context.logger(),
		});
		return knack;
	}

	async function openCliStorage(): Promise<Storage> {
		const why = whyUnwritable(context.config());
		if (!why) return openStorage(context.config());
		if (needs.storeWrites) throw new CliError(`${needs.storeWrites}, and ${why}`);
		try {
			const opened = await openStorage(context.config(), { readOnly: true });
			context.note(`note: ${why}: opened read-only (no migration, no WAL switch)`);
			return opened;
		} catch (error) {
			if (error instanceof StorageOpenError) throw new CliError(error.message);
			throw error;
		}
	}

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
				storage = openCliStorage();
			}
			return storage;
		},
		async operator() {
			const { postback } = context.config();
			const storage = await context.storage();
			return {
				storage,
				fieldMap: context.fieldMap(),
				knack: () => knackFor(storage.budget),
				logger: context.logger(),
				deadlineMs: postback.deadlineMs,
				claimLeaseMs: postback.claimLeaseMs,
				holderPrefix: `cli-${process.pid}`,
				budget: {
					perSecond: context.config().knack.rateLimitPerSecond,
					dailyReserve: context.config().knack.dailyReserve,
				},
				actor: { who: osUser(io.env), by: "cli" },
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

/**
 * The CLI's repairs are recorded under the account that ran them, as a shared server
 * knows a person. $USER first: Bun's userInfo() can answer "unknown" where libc would not.
 */
function osUser(env: Record<string, string | undefined>): string {
	const named = env.USER?.trim() || env.LOGNAME?.trim();
	if (named) return named;
	try {
		return userInfo().username;
	} catch {
		return "unknown";
	}
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

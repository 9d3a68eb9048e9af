import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { operatorName } from "../application/operator/audit.ts";
import type { OperatorDeps } from "../application/operator/deps.ts";
import { type Config, ConfigError, fieldMapName, loadConfig } from "../config.ts";
import type { KnackAppName } from "../events/payload.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import type { KnackClient, KnackCredentials } from "../projections/knack/client.ts";
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
	/** who is at the controls, recorded with every Knack write: --as, CITYBASE_OPERATOR, else the OS user */
	who(): string;
	/** what the operator functions need, from the above */
	operator(): Promise<OperatorDeps>;
	/** before writing to the production Knack: lists `calls`, then asks, or refuses without a terminal (exit 2) */
	confirmKnackWrites(what: string, yes: boolean, calls?: string[]): Promise<boolean>;
	close(): Promise<void>;
}

const realKnack = /(^|\.)knack\.com$/i;

export interface CommandNeeds {
	/** why the command writes to the store (`storeWrites`), or null when it only reads */
	storeWrites: string | null;
	/** what this run does to Knack (`knackUse`) */
	knack?: "none" | "reads" | "writes";
	/** the name given with --as */
	as?: string;
}

/** Where a command's Knack calls go, and with which credentials. */
interface KnackEndpoint {
	apiUrl: string;
	credentials: Record<KnackAppName, KnackCredentials>;
}

export function createCliContext(io: CliIo, needs: CommandNeeds): CliContext {
	const out = new Output(io.stdout);
	let config: Config | undefined;
	let storage: Promise<Storage> | undefined;
	let knack: KnackClient | undefined;
	let logger: Logger | undefined;
	let who: string | undefined;
	let endpoint: KnackEndpoint | undefined;

	// The Knack client, rate limited per app like the service's: its budget is the store's,
	// shared with the service, so the client is made once the store is open.
	function knackFor(budget: KnackBudgetStore): KnackClient {
		const { apiUrl, credentials } = endpoint ?? knackEndpoint(context.config(), io.env);
		knack ??= knackClientFor(context.config().knack, { apiUrl, credentials, budget, logger: context.logger() });
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
		who() {
			who ??= actorName(io.env, needs, context.config());
			return who;
		},
		async operator() {
			const { postback } = context.config();
			const actor = { who: context.who(), by: "cli" as const };
			if (needs.knack && needs.knack !== "none") endpoint ??= await findKnack(context, io.env);
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
				actor,
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
		async confirmKnackWrites(what, yes, calls = []) {
			if (yes || context.config().environment !== "production") return true;
			if (!io.isTTY) {
				throw new UsageError(`refusing to ${what} in the production Knack without --yes (no terminal to confirm on)`);
			}
			const listed = calls.length > 0 ? `, with these calls:\n${calls.map((c) => `  ${c}\n`).join("")}` : ". ";
			io.stderr.write(`This will ${what} in the PRODUCTION Knack${listed}Continue? [y/N] `);
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
function knackEndpoint(config: Config, env: Record<string, string | undefined>): KnackEndpoint {
	const { apiUrl, credentials } = config.knack;
	if (credentials) return { apiUrl, credentials };
	if (!env.KNACK_API_URL?.trim() || realKnack.test(new URL(apiUrl).hostname)) {
		throw new CliError(
			"this command calls Knack and there are no Knack credentials: set KNACK_STREET_BANNER_APP_ID, " +
				"KNACK_STREET_BANNER_API_KEY, KNACK_SMART_MOBILITY_APP_ID and KNACK_SMART_MOBILITY_API_KEY, or point " +
				"KNACK_API_URL at a Knack sandbox, whose default credentials are then used",
		);
	}
	return { apiUrl, credentials: sandboxCredentials };
}

/**
 * In development without credentials or KNACK_API_URL: the development service's
 * embedded sandbox, where that service starts it (KNACK_SANDBOX_HOST, loopback by
 * default, and KNACK_SANDBOX_PORT), if it answers there; else one line saying how to
 * point at one.
 */
async function findKnack(context: CliContext, env: Record<string, string | undefined>): Promise<KnackEndpoint> {
	const config = context.config();
	if (config.knack.credentials || env.KNACK_API_URL?.trim()) return knackEndpoint(config, env);
	const { sandboxHost, sandboxPort } = config.knack;
	const host = sandboxHost === "0.0.0.0" || sandboxHost === "::" ? "127.0.0.1" : sandboxHost;
	const root = `http://${host.includes(":") ? `[${host}]` : host}:${sandboxPort}`;
	const answered = await fetch(`${root}/__sandbox/stats`, { signal: AbortSignal.timeout(2000) }).then(
		(response) => response.ok,
		() => false,
	);
	if (!answered) {
		throw new CliError(
			`no Knack credentials, and no Knack sandbox answers at ${root}: start the development service ` +
				`(npm start), or set KNACK_API_URL=http://HOST:PORT/v1 to a running sandbox`,
		);
	}
	context.note(`note: no Knack credentials: using the development service's Knack sandbox at ${root}/v1`);
	return { apiUrl: `${root}/v1`, credentials: sandboxCredentials };
}

/**
 * Whose name a Knack write is recorded under: --as, then CITYBASE_OPERATOR; in
 * production a run that writes to Knack has to give one. Elsewhere the OS account that
 * ran the command, as a shared server knows a person.
 */
function actorName(env: Record<string, string | undefined>, needs: CommandNeeds, config: Config): string {
	const given = operatorName(needs.as ?? env.CITYBASE_OPERATOR ?? "");
	if (given) return given;
	if (needs.as !== undefined) throw new UsageError("--as needs a name");
	if (needs.knack === "writes" && config.environment === "production") {
		throw new UsageError(
			'this writes to the production Knack, and every write is recorded under the name of the person who asked: add --as "Your Name" (or set CITYBASE_OPERATOR)',
		);
	}
	return osUser(env);
}

/**
 * The OS account: $USER first (a container's shell often has none), then the account of
 * the process's uid; one with no account is named by its number, never "unknown".
 */
function osUser(env: Record<string, string | undefined>): string {
	const named = env.USER?.trim() || env.LOGNAME?.trim();
	if (named) return named;
	return accountName() ?? `uid ${process.getuid?.() ?? "?"}`;
}

/** Bun's userInfo() answers "unknown" where libc would read /etc/passwd, so it is read here as libc would. */
function accountName(): string | null {
	try {
		const { username } = userInfo();
		if (username && username !== "unknown") return username;
	} catch {
		// a uid with no passwd entry, as in some containers
	}
	const uid = String(process.getuid?.());
	try {
		const entry = readFileSync("/etc/passwd", "utf8")
			.split("\n")
			.map((line) => line.split(":"))
			.find((fields) => fields[2] === uid);
		return entry?.[0] || null;
	} catch {
		return null;
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

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { missingDependency } from "./dependency.ts";

/**
 * A throw-away PostgreSQL cluster for tests: initdb into a temporary folder, started on
 * a free loopback port with its unix socket in that folder, stopped and removed at the
 * end (also when the test process exits early). PostgreSQL refuses to run as root, so
 * as root the cluster runs as the `postgres` user (Debian's package makes it) or
 * `nobody`. With TEST_DATABASE_URL set (CI starts one cluster for the whole run), that
 * server is used instead and nothing is started.
 */
export interface PostgresServer {
	/** a superuser URL of the server's `postgres` database */
	url: string;
	/** a new, empty database, dropped by `stop()` */
	createDatabase(): Promise<string>;
	/** drops a database `createDatabase` made, cutting its connections */
	dropDatabase(url: string): Promise<void>;
	/** pg_ctl restart: every connection is cut (only on a cluster this helper started) */
	restart(): Promise<void>;
	stop(): Promise<void>;
}

/** Why no server (`own`: no cluster of the test's own) can be had here, or null when one can. */
export function postgresUnavailable(options: { own?: boolean } = {}): string | null {
	if (process.env.TEST_DATABASE_URL && !options.own) return null;
	if (binDir()) return null;
	return `no PostgreSQL binaries (initdb) under /usr/lib/postgresql/*/bin${options.own ? "" : " and TEST_DATABASE_URL is unset"}`;
}

/** For a test file's top level: true when its tests must be skipped (never under CI=true: see `missingDependency`). */
export function skipWithoutPostgres(what: string, options: { own?: boolean } = {}): boolean {
	const unavailable = postgresUnavailable(options);
	return unavailable !== null && missingDependency(what, unavailable);
}

export async function startPostgres(options: { own?: boolean } = {}): Promise<PostgresServer> {
	const shared = process.env.TEST_DATABASE_URL;
	if (shared && !options.own) return withDatabases(shared, async () => {}, null);
	return startCluster();
}

/** The newest installed PostgreSQL's bin folder, or null. */
function binDir(): string | null {
	const root = "/usr/lib/postgresql";
	if (!existsSync(root)) return null;
	const versions = readdirSync(root)
		.filter((v) => existsSync(join(root, v, "bin", "initdb")))
		.sort((a, b) => Number(b) - Number(a));
	return versions[0] ? join(root, versions[0], "bin") : null;
}

const asUser = (command: string[], user: string | null) => (user ? ["runuser", "-u", user, "--", ...command] : command);

/** Asynchronous: a store under test must keep running its event loop (and see its connections close) meanwhile. */
async function run(command: string[], user: string | null): Promise<void> {
	const child = Bun.spawn(asUser(command, user), { stdout: "pipe", stderr: "pipe" });
	const [status, stdout, stderr] = await Promise.all([
		child.exited,
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
	]);
	if (status !== 0) throw new Error(`${command.slice(0, 2).join(" ")} failed (${status}): ${stderr || stdout}`);
}

function unprivilegedUser(): string | null {
	if (process.getuid?.() !== 0) return null;
	return spawnSync("id", ["-u", "postgres"]).status === 0 ? "postgres" : "nobody";
}

async function freePort(): Promise<number> {
	const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const { port } = server;
	server.stop(true);
	return port;
}

async function startCluster(): Promise<PostgresServer> {
	const bin = binDir();
	if (!bin) throw new Error(postgresUnavailable() ?? "no PostgreSQL");
	const user = unprivilegedUser();
	const root = mkdtempSync(join(tmpdir(), "citybase-pg-"));
	const data = join(root, "data");
	const pgCtl = (...args: string[]) => run([join(bin, "pg_ctl"), "-D", data, ...args], user);
	const pgCtlNow = (...args: string[]) => {
		const [command, ...rest] = asUser([join(bin, "pg_ctl"), "-D", data, ...args], user);
		spawnSync(command as string, rest);
	};
	const removeRoot = () => rmSync(root, { recursive: true, force: true });
	try {
		if (user) await run(["chown", user, root], null);
		chmodSync(root, 0o700);
		// --no-sync only skips initdb's own final flush; the server keeps fsync and synchronous_commit on.
		await run(
			[join(bin, "initdb"), "-D", data, "-U", "citybase", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
			user,
		);
	} catch (error) {
		removeRoot();
		throw error;
	}
	const port = await freePort();
	const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c max_connections=200`;
	// -l: without a log file the server would inherit pg_ctl's stdout and keep our pipe open forever.
	const log = join(root, "server.log");
	// A test process that ends or is stopped before stop() must not leave a server running.
	const stopNow = () => {
		pgCtlNow("-m", "immediate", "stop");
		removeRoot();
	};
	const onSignal = (signal: NodeJS.Signals) => {
		stopNow();
		process.exit(signal === "SIGINT" ? 130 : 143);
	};
	const forget = () => {
		process.removeListener("exit", stopNow);
		process.removeListener("SIGINT", onSignal);
		process.removeListener("SIGTERM", onSignal);
	};
	process.once("exit", stopNow);
	process.once("SIGINT", onSignal);
	process.once("SIGTERM", onSignal);
	try {
		await pgCtl("-l", log, "-w", "-t", "60", "-o", serverOptions, "start");
	} catch (error) {
		forget();
		stopNow();
		throw error;
	}
	return withDatabases(
		`postgres://citybase@127.0.0.1:${port}/postgres`,
		async () => {
			forget();
			await pgCtl("-m", "fast", "-w", "stop");
			removeRoot();
		},
		async () => pgCtl("-l", log, "-m", "fast", "-w", "-t", "60", "-o", serverOptions, "restart"),
	);
}

function withDatabases(
	url: string,
	shutdown: () => Promise<void>,
	restart: (() => Promise<void>) | null,
): PostgresServer {
	const admin = postgres(url, { max: 1, onnotice: () => {} });
	const created: string[] = [];
	let counter = 0;
	return {
		url,
		async createDatabase() {
			const name = `citybase_test_${process.pid}_${++counter}`;
			await admin.unsafe(`CREATE DATABASE "${name}"`);
			created.push(name);
			const database = new URL(url);
			database.pathname = `/${name}`;
			return database.toString();
		},
		async dropDatabase(databaseUrl) {
			const name = new URL(databaseUrl).pathname.slice(1);
			if (!created.includes(name)) throw new Error(`${name} was not made by this helper`);
			await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
			created.splice(created.indexOf(name), 1);
		},
		async restart() {
			if (!restart) throw new Error("only a cluster this helper started can be restarted");
			await restart();
		},
		async stop() {
			try {
				for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
			} finally {
				await admin.end();
				await shutdown();
			}
		},
	};
}

/** The invoice `refuseInvoice` makes a database refuse. */
export const REFUSED_INVOICE = "INV-refused";

/**
 * Makes the events table behind `url` (its schema made by opening a store there) refuse
 * REFUSED_INVOICE with a CHECK constraint: a write that really fails in the database,
 * for tests of what a failing write inside a shared commit does to the others.
 */
export async function refuseInvoice(url: string): Promise<void> {
	const sql = postgres(url, { max: 1, onnotice: () => {} });
	try {
		await sql.unsafe(
			`alter table events add constraint refused_invoice check (invoice is distinct from '${REFUSED_INVOICE}')`,
		);
	} finally {
		await sql.end();
	}
}

/**
 * A store's error as health tells it: what went wrong, in words a person can act on
 * (refused, unreachable, timed out, disk full), never the driver's text, which can
 * hold the SQL and its parameters (drizzle's "Failed query: … params: …"). That text
 * is the `detail`, for the log only.
 *
 * Read from the error's code, deepest cause first: drizzle wraps the driver's error,
 * which carries a network code (postgres.js, Node), a SQLSTATE (PostgreSQL) or a
 * SQLITE_* code (bun:sqlite).
 */
export interface DescribedStoreError {
	description: string;
	detail: string;
}

const networkCodes: Record<string, string> = {
	ECONNREFUSED: "the database server refused the connection (is it running?)",
	ENOTFOUND: "the database server's name could not be resolved",
	EAI_AGAIN: "the database server's name could not be resolved",
	EHOSTUNREACH: "the database server is unreachable",
	ENETUNREACH: "the database server is unreachable",
	ETIMEDOUT: "connecting to the database server timed out",
	CONNECT_TIMEOUT: "connecting to the database server timed out",
	ECONNRESET: "the connection to the database server was lost",
	EPIPE: "the connection to the database server was lost",
	CONNECTION_CLOSED: "the connection to the database server was lost",
	CONNECTION_ENDED: "the connection to the database server was closed",
	CONNECTION_DESTROYED: "the connection to the database server was closed",
	ENOSPC: "the disk is full",
};

/** PostgreSQL's SQLSTATE: a whole code first, then its two-character class. */
const sqlStates: Record<string, string> = {
	"3D000": "the database does not exist",
	"53100": "the database server's disk is full",
	"53300": "the database server has too many connections",
	"57014": "a database query timed out",
	"57P01": "the database server is shutting down",
	"57P02": "the database server is shutting down",
	"57P03": "the database server is starting up or shutting down",
	"25006": "the database is read-only",
	"42501": "the database refused permission",
	"55P03": "a database lock could not be taken in time",
	"08": "the connection to the database server failed",
	"28": "the database server refused our credentials",
	"40": "a database transaction was rolled back (conflict or deadlock)",
	"42": "the database refused a query (is its schema this version's?)",
	"53": "the database server is out of resources",
	"57": "the database server stopped the work",
	XX: "the database server reported an internal error",
};

const sqlState = /^[0-9A-Z]{5}$/;

export function describeStoreError(error: unknown): DescribedStoreError {
	return { description: description(codeOf(error)), detail: detailOf(error) };
}

function description(found: { code: string; message: string } | null): string {
	if (!found) return "an unexpected error (its text is in the service's log)";
	const { code, message } = found;
	// SQLite's own messages are short words ("database or disk is full"), never SQL.
	if (code.startsWith("SQLITE_")) return `${message} (${code})`;
	const words = networkCodes[code] ?? (sqlState.test(code) ? (sqlStates[code] ?? sqlStates[code.slice(0, 2)]) : null);
	return words ? `${words} (${code})` : `an unexpected error (${code}; its text is in the service's log)`;
}

/** The deepest error in the `cause` chain that carries a string code. */
function codeOf(error: unknown): { code: string; message: string } | null {
	let found: { code: string; message: string } | null = null;
	const seen = new Set<unknown>();
	for (let e = error; e && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
		seen.add(e);
		const code = (e as { code?: unknown }).code;
		if (typeof code === "string" && code) found = { code, message: e instanceof Error ? e.message : String(e) };
	}
	return found;
}

/** Every message down the cause chain, for the log. */
function detailOf(error: unknown): string {
	const parts: string[] = [];
	const seen = new Set<unknown>();
	for (let e = error; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
		seen.add(e);
		const code = (e as { code?: unknown }).code;
		const message = e instanceof Error ? e.message : String(e);
		parts.push(typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message);
		if (typeof e !== "object") break;
	}
	return parts.join(" <- ");
}

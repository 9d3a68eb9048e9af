import postgres from "postgres";
import { embeddedMigrations } from "../migrationFiles.ts" with { type: "macro" };
import { checkSchema, migrate } from "../migrations.ts";
import { StorageOpenError } from "../storage.ts";
import { postgresDialect, postgresExecutor } from "./dialect.ts";

/** The URL without its password, for messages and logs: the URL is a secret. */
export function redactedLocation(url: string): string {
	const parsed = new URL(url);
	parsed.password = "";
	return parsed.toString();
}

/**
 * Connects (postgres.js: a pool that connects lazily and reconnects after the server
 * restarts) and brings the schema up to date before anything else runs. Each session
 * asks for synchronous_commit=on whatever the server's default: a write resolves only
 * once its commit is flushed to disk.
 *
 * Read-only, every session has default_transaction_read_only=on, so the server itself
 * refuses a write, and nothing is migrated: the schema must already be this code's.
 */
export async function openDatabase(url: string, { readOnly = false } = {}) {
	const client = postgres(url, {
		onnotice: () => {},
		// No array types are read or bound as such (ids go as one text literal cast in SQL),
		// and postgres.js fetches them on every new connection from an event handler whose
		// promise nobody holds: a server closing that connection meanwhile rejected it
		// unhandled, which ends a Bun process (1 of 4 PostgreSQL chaos runs with a restart).
		fetch_types: false,
		types: {
			// Positions, ids and times are int8; every one fits a JS number (< 2^53).
			int8: { to: 20, from: [20], serialize: String, parse: Number },
			// JSON goes as the text the caller made and is read as text (`::text`), never re-encoded.
			json: { to: 114, from: [114, 3802], serialize: (text: string) => text, parse: (text: string) => text },
		},
		connection: {
			application_name: "atd-citybase",
			synchronous_commit: "on",
			...(readOnly ? { default_transaction_read_only: true } : {}),
		},
	});
	const exec = postgresExecutor(client);
	try {
		await (readOnly
			? exec.run(checkSchema(postgresDialect, embeddedMigrations("drizzle/pg"), url))
			: exec.transaction(() => migrate(postgresDialect, embeddedMigrations("drizzle/pg"))));
	} catch (error) {
		await client.end({ timeout: 1 });
		if (error instanceof StorageOpenError) throw error;
		throw new StorageOpenError(
			`could not open the PostgreSQL store at ${redactedLocation(url)}: ${(error as Error).message}`,
		);
	}
	return { client, exec };
}

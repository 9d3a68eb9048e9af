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
		onnotice: false,
		// Every type bound or read here is built in (ids go as one text literal cast to int8[] in
		// SQL): there is nothing to look up in pg_catalog, on this connection or another.
		fetch_types: false,
		// After a failed connect the pool refuses every query at once until its next attempt,
		// whose wait grows to 20 s by default: after an outage of seconds the service would keep
		// answering 503 for as long again with the server back. A refused connect costs the
		// server nothing, so try again within half a second.
		backoff: (attempt: number) => Math.min(0.05 * attempt, 0.5),
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

import type { MigrationMeta } from "drizzle-orm/migrator";
import { command, type Dialect, lock, query, type Work } from "./sql.ts";
import { StorageOpenError } from "./storage.ts";

/**
 * Applies drizzle-kit's migrations and records them in drizzle's own ledger (same
 * columns), so drizzle-kit and drizzle's migrator read it as theirs. Not drizzle's
 * `migrate()`: it reads the ledger outside its transaction, so two processes starting on
 * a new store both decide to apply the same migration and one fails (drizzle-orm#874).
 * Here the ledger is read in the migrating transaction, under the migration lock (SQLite:
 * the write lock): the second process waits, then finds everything applied.
 */
export function* migrate(d: Dialect, migrations: MigrationMeta[]): Work<void> {
	yield* lock(d, "migrate");
	for (const statement of d.ledger.create) yield* command(statement);
	const [last] = yield* query<{ createdAt: number }>(
		`select created_at as "createdAt" from ${d.ledger.table} order by created_at desc limit 1`,
	);
	for (const migration of migrations) {
		if (last && Number(last.createdAt) >= migration.folderMillis) continue;
		for (const statement of migration.sql) yield* command(statement);
		yield* command(
			`insert into ${d.ledger.table} (hash, created_at) values (?, ?)`,
			migration.hash,
			migration.folderMillis,
		);
	}
}

/**
 * For a read-only open, which cannot migrate: the migrations in the ledger must be exactly
 * this code's. An older store would be migrated by a read-write open; a newer one was
 * written by a newer version.
 */
export function* checkSchema(d: Dialect, migrations: MigrationMeta[], where: string): Work<void> {
	if ((yield* query(d.ledger.exists)).length === 0) throw new StorageOpenError(d.ledger.absent(where));
	const rows = yield* query<{ createdAt: number }>(`select created_at as "createdAt" from ${d.ledger.table}`);
	const applied = new Set(rows.map((row) => Number(row.createdAt)));
	const known = migrations.map((m) => m.folderMillis);
	const unknown = [...applied].filter((millis) => !known.includes(millis)).length;
	const missing = known.filter((millis) => !applied.has(millis)).length;
	if (unknown > 0) {
		throw new StorageOpenError(
			`${d.ledger.subject(where)} has ${unknown} schema migration(s) this version does not know: it was written by a newer version, so read it with that one`,
		);
	}
	if (missing > 0) {
		throw new StorageOpenError(
			`${d.ledger.subject(where)} lacks ${missing} of this version's ${known.length} schema migrations, and a read-only open cannot apply them: ${d.ledger.cure}`,
		);
	}
}

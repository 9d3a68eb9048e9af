import { join } from "node:path";
import { type MigrationMeta, readMigrationFiles } from "drizzle-orm/migrator";

/**
 * Imported with `{ type: "macro" }`, like the SQLite adapter's: drizzle-kit's
 * PostgreSQL migrations (`drizzle/pg`) are inlined as data at bundle time, so the
 * compiled executable carries them.
 */
export function embeddedMigrations(): MigrationMeta[] {
	return readMigrationFiles({ migrationsFolder: join(import.meta.dir, "..", "..", "..", "drizzle", "pg") });
}

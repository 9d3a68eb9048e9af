import { join } from "node:path";
import { type MigrationMeta, readMigrationFiles } from "drizzle-orm/migrator";

/**
 * Imported with `{ type: "macro" }`: runs when the code is bundled or transpiled and
 * inlines drizzle-kit's migrations in `folder` (statements, hash, journal time) as data,
 * so the compiled single executable carries them and needs no files beside it.
 */
export function embeddedMigrations(folder: "drizzle" | "drizzle/pg"): MigrationMeta[] {
	return readMigrationFiles({ migrationsFolder: join(import.meta.dir, "..", "..", folder) });
}

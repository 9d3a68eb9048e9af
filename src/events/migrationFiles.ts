import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * Imported with `{ type: "macro" }`: runs when the code is bundled or transpiled and
 * inlines the drizzle/ folder (SQL and journal) as data, so the compiled single
 * executable carries its migrations and needs no files beside it.
 */
export function migrationFiles(): Record<string, string> {
	const root = join(import.meta.dir, "..", "..", "drizzle");
	const files: Record<string, string> = {};
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else files[relative(root, path)] = readFileSync(path, "utf8");
		}
	};
	walk(root);
	return files;
}

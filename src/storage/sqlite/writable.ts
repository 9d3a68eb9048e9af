import { accessSync, existsSync, constants as fs } from "node:fs";
import { dirname } from "node:path";

/**
 * What stops this process from writing the SQLite store at `path`, or null when nothing
 * does. Its folder counts: SQLite makes its -wal, -shm and -journal files there; a folder
 * not there yet is made in the nearest one that is.
 */
export function unwritable(path: string): string | null {
	if (path === ":memory:") return null;
	for (const file of [path, `${path}-wal`, `${path}-shm`]) {
		if (existsSync(file) && !canWrite(file)) return `${file} is not writable`;
	}
	let folder = dirname(path);
	while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
	return canWrite(folder) ? null : `the folder of ${path} (${folder}) is not writable`;
}

export function canWrite(path: string): boolean {
	try {
		accessSync(path, fs.W_OK);
		return true;
	} catch {
		return false;
	}
}

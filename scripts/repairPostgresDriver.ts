import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * `bun scripts/repairPostgresDriver.ts [node_modules]`: rewrites postgres.js in place after
 * every install (npm's postinstall; the Dockerfile runs it after `bun install`).
 *
 * postgres.js 3.4.9 (the newest release) loses track of a connection its server closed
 * (porsager/postgres#1066, #1154, #1208; the fix, #1209, is unreleased): closed() nulls the
 * socket but leaves the pending write buffer and its timer, so
 *  - a query a transaction sends after the close (its ROLLBACK) writes to the null socket
 *    from a setImmediate callback: an uncaught TypeError that kills the process;
 *  - otherwise the stale bytes and timer survive into the next connection on that slot:
 *    its startup message is never sent and it hangs until CONNECT_TIMEOUT, again and again;
 *  - the server's FATAL "terminating connection" is kept as the pending error and handed
 *    to the first query of the next connection on that slot, which never saw it;
 *  - and begin() races the transaction against the close, so when the close wins, the
 *    transaction's own rejection arrives later with no one listening: an unhandled
 *    rejection, which also ends a Bun process.
 * A PostgreSQL restart does all of it (the chaos run with --store postgres found it).
 * The fixes: a write with no socket fails its queries with CONNECTION_CLOSED, a close
 * drops what was meant for, or came from, the dead socket, and the losing side of
 * begin()'s race is marked handled (the winner still rejects).
 *
 * Not a Bun.plugin at load time: any runtime onLoad plugin stops Bun (1.4.5) from
 * expanding the storage adapters' `with { type: "macro" }` imports. Idempotent; when the
 * text to replace is not found (another version), it fails the install rather than leave
 * the driver unrepaired. test/storage/postgres-restart-driver.test.ts proves the repair.
 */
const connectionFixes: [string, string][] = [
	[
		"  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
		"  function nextWrite(fn) {\n    if (!socket) {\n      clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options, socket))\n      return false\n    }\n    const x = socket.write(chunk, fn)",
	],
	[
		"    incomings = null\n    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
		"    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = errorResponse = null\n    socket.removeListener('data', data)",
	],
];

const indexFixes: [string, string][] = [
	[
		"      return await Promise.race([\n        scope(connection, fn),",
		"      return await Promise.race([\n        (scoped => (scoped.catch(() => {}), scoped))(scope(connection, fn)),",
	],
];

function repair(path: string, fixes: [string, string][]): void {
	const source = readFileSync(path, "utf8");
	const repaired = fixes.reduce((text, [from, to]) => {
		if (text.includes(to)) return text;
		if (!text.includes(from)) {
			throw new Error(`${path} is not the postgres.js version scripts/repairPostgresDriver.ts repairs`);
		}
		return text.replace(from, to);
	}, source);
	if (repaired !== source) writeFileSync(path, repaired);
}

const driver = join(process.argv[2] ?? join(import.meta.dir, "..", "node_modules"), "postgres");
for (const build of ["src", join("cjs", "src")]) {
	repair(join(driver, build, "connection.js"), connectionFixes);
	repair(join(driver, build, "index.js"), indexFixes);
}

import { plugin } from "bun";

/**
 * postgres.js 3.4.9 (the newest release) loses track of a connection its server closed
 * (porsager/postgres#1066, #1154, #1208; the fix, #1209, is unreleased): closed() nulls the
 * socket but leaves the pending write buffer and its timer, so
 *  - a query a transaction sends after the close (its ROLLBACK) writes to the null socket
 *    from a setImmediate callback: an uncaught TypeError that kills the process, and
 *  - otherwise the stale bytes and timer survive into the next connection on that slot:
 *    its startup message is never sent and it hangs until CONNECT_TIMEOUT, again and again;
 *  - the server's FATAL "terminating connection" is kept as the pending error and handed
 *    to the first query of the next connection on that slot, which never saw it;
 *  - and begin() races the transaction against the close, so when the close wins, the
 *    transaction's own rejection arrives later with no one listening: an unhandled
 *    rejection, which also ends a Bun process.
 * A PostgreSQL restart does both (the chaos run with --store postgres found it). This
 * rewrites the three spots as the source is loaded: a write with no socket fails its
 * queries with CONNECTION_CLOSED, a close drops what was meant for, or came from, the dead socket, and
 * the losing side of begin()'s race is marked handled (the winner still rejects). Loaded by
 * bunfig.toml's preload, for the service, the CLI and the tests alike. When the text is not
 * found (another version), loading the driver fails rather than run it unrepaired.
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

function repair(file: string, source: string, fixes: [string, string][]): string {
	return fixes.reduce((text, [from, to]) => {
		if (!text.includes(from)) {
			throw new Error(`postgres.js ${file} is not the version src/preload/postgresDriverFix.ts repairs`);
		}
		return text.replace(from, to);
	}, source);
}

plugin({
	name: "postgres.js closed-connection repair",
	setup(build) {
		const driver = /[/\\]node_modules[/\\]postgres[/\\](?:cjs[/\\])?src[/\\](connection|index)\.js$/;
		build.onLoad({ filter: driver }, async (args) => {
			const file = args.path.endsWith("connection.js") ? "connection.js" : "index.js";
			const fixes = file === "connection.js" ? connectionFixes : indexFixes;
			return { contents: repair(file, await Bun.file(args.path).text(), fixes), loader: "js" };
		});
	},
});

/**
 * A real dependency a test needs (PostgreSQL, Chromium, a tmpfs, setpriv) that this
 * machine cannot provide. Under CI=true that is a failure: a test that cannot set up
 * what it tests never passes there. Elsewhere it says so loudly and answers true, so
 * the caller skips, and a developer's machine without it still runs everything else.
 */
export function missingDependency(what: string, why: string): true {
	if (process.env.CI === "true") throw new Error(`${what} cannot run: ${why} (required under CI=true)`);
	console.warn(`\n*** SKIPPING ${what}: ${why} ***\n`);
	return true;
}

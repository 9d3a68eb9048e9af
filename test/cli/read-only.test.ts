import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingDependency } from "../support/dependency.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { notSqlite } from "../support/store.ts";
import { cli, cliEnv, postApplied, postUnfinished, successful } from "./support.ts";

/**
 * The CLI on copies of a service's store that it may not write (files and folders
 * chmod -w), as a process. Root ignores file permissions, so as root (here and in CI)
 * the CLI runs as `nobody`, through util-linux's setpriv; as anyone else, as itself.
 */

const root = join(import.meta.dir, "..", "..");
const isRoot = process.getuid?.() === 0;
const setpriv = Bun.which("setpriv");
const asUnprivileged = isRoot && setpriv ? [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"] : [];
const skipReason =
	isRoot && !setpriv ? "running as root, which ignores file permissions, and there is no setpriv to drop them" : null;
if (skipReason && !notSqlite) missingDependency("test/cli/read-only.test.ts", skipReason);

describe.skipIf(notSqlite)("read-only copies (SQLite only: file permissions on the database file)", () => {
	let h: Harness;
	let dir: string;
	const copies: Record<"backup" | "live" | "walWithoutShm", string> = { backup: "", live: "", walWithoutShm: "" };

	beforeAll(async () => {
		h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
		await postApplied(h, successful(6001, { invoice: "INV-6001" }));
		await postUnfinished(h, successful(6002, { invoice: "INV-6002" }));
		dir = mkdtempSync(join(tmpdir(), "citybase-cli-readonly-"));
		chmodSync(dir, 0o755); // nobody must reach the copies inside
		for (const name of Object.keys(copies) as (keyof typeof copies)[]) {
			mkdirSync(join(dir, name));
			copies[name] = join(dir, name, "events.sqlite");
		}
		expect((await cli(["backup", copies.backup], { env: cliEnv(h) })).code).toBe(0);
		// Copied while the service runs: the latest commits are in the -wal, found through the -shm.
		const live = h.store.path;
		if (live === null) throw new Error("these copies are of a SQLite file");
		expect(readFileSync(`${live}-wal`).length).toBeGreaterThan(0);
		for (const suffix of ["", "-wal", "-shm"]) copyFileSync(`${live}${suffix}`, `${copies.live}${suffix}`);
		for (const suffix of ["", "-wal"]) copyFileSync(`${live}${suffix}`, `${copies.walWithoutShm}${suffix}`);
		for (const path of Object.values(copies)) {
			const folder = join(path, "..");
			for (const name of readdirSync(folder)) chmodSync(join(folder, name), 0o444);
			chmodSync(folder, 0o555);
		}
	});
	afterAll(async () => {
		await h.stop();
		for (const path of Object.values(copies)) chmodSync(join(path, ".."), 0o755);
		rmSync(dir, { recursive: true, force: true });
	});

	async function run(databasePath: string, args: string[]) {
		const child = Bun.spawn([...asUnprivileged, process.execPath, "src/cli.ts", ...args], {
			cwd: root,
			env: { PATH: process.env.PATH ?? "", ...cliEnv(h, { DATABASE_PATH: databasePath }) },
			stdout: "pipe",
			stderr: "pipe",
			stdin: "ignore",
		});
		const [stdout, stderr, code] = await Promise.all([
			new Response(child.stdout).text(),
			new Response(child.stderr).text(),
			child.exited,
		]);
		return { code, stdout, stderr };
	}

	/** Every file of the copy's folder, by name, with a hash of its bytes. */
	const filesOf = (path: string) => {
		const folder = join(path, "..");
		return Object.fromEntries(readdirSync(folder).map((name) => [name, Bun.hash(readFileSync(join(folder, name)))]));
	};

	describe.each(["backup", "live"] as const)("a read-only copy (%s)", (copy) => {
		test.skipIf(skipReason !== null)(
			"every reading command works, says it opened read-only, and leaves the files as they were",
			async () => {
				const path = copies[copy];
				const before = filesOf(path);
				const expected = await cli(["events", "list", "--json"], { env: cliEnv(h) });
				const note = `note: ${path} is not writable: opened read-only (no migration, no WAL switch)\n`;

				const list = await run(path, ["events", "list", "--json"]);
				expect(list).toEqual({ code: 0, stdout: expected.stdout, stderr: note });
				const seqs = (JSON.parse(list.stdout) as { seq: number; citybaseId: number }[]).map((d) => d.seq);
				expect(seqs).toHaveLength(2);

				const show = await run(path, ["events", "show", String(seqs[0])]);
				expect(show).toMatchObject({ code: 0, stderr: note });
				expect(show.stdout).toContain("accepted: payment 6002 successful");

				const payment = await run(path, ["payments", "show", "6001", "--json"]);
				expect(payment).toMatchObject({ code: 0, stderr: note });
				expect(JSON.parse(payment.stdout).payments[0].citybaseId).toBe(6001);

				const pending = await run(path, ["pending", "--json"]);
				expect(pending).toMatchObject({ code: 3, stderr: note });
				expect((JSON.parse(pending.stdout) as { citybaseId: number }[]).map((p) => p.citybaseId)).toEqual([6002]);

				const exported = await run(path, ["export"]);
				expect(exported.code).toBe(0);
				expect(exported.stdout).toBe((await cli(["export"], { env: cliEnv(h) })).stdout);

				const dryRun = await run(path, ["replay", "--all", "--dry-run"]);
				expect(dryRun).toMatchObject({ code: 0, stderr: expect.stringContaining(note) });
				expect(dryRun.stdout).toContain("payment 6002 successful");

				expect(filesOf(path)).toEqual(before);
			},
		);

		test.skipIf(skipReason !== null)("a command that writes says why it cannot, and writes nothing", async () => {
			const path = copies[copy];
			const before = filesOf(path);
			const why = `${path} is not writable`;
			expect(await run(path, ["replay", "--all"])).toEqual({
				code: 1,
				stdout: "",
				stderr: `error: replay records every Knack call in the log, and ${why}\n`,
			});
			expect((await run(path, ["rebuild"])).stderr).toBe(
				`error: rebuild rewrites the payments read model kept in the store, and ${why}\n`,
			);
			expect((await run(path, ["verify", "--fix", "--yes"])).stderr).toBe(
				`error: verify --fix records the Knack calls of its replays in the log, and ${why}\n`,
			);
			const exportFile = join(dir, `${copy}.ndjson`);
			await Bun.write(exportFile, (await cli(["export"], { env: cliEnv(h) })).stdout);
			chmodSync(exportFile, 0o444);
			expect(await run(path, ["import", exportFile])).toMatchObject({
				code: 1,
				stderr: `error: import adds the events to the log, and ${why}\n`,
			});
			expect(filesOf(path)).toEqual(before);
		});
	});

	test.skipIf(skipReason !== null)(
		"a -wal copied without its -shm, in a folder it may not write, cannot be read: the error says why",
		async () => {
			const path = copies.walWithoutShm;
			const r = await run(path, ["events", "list"]);
			expect(r.code).toBe(1);
			expect(r.stderr).toContain(
				`error: cannot read ${path} read-only: unable to open database file (${path}-wal holds commits`,
			);
			expect(r.stderr).toContain("copy the -shm file along, or the files to a folder you may write");
			expect(Object.keys(filesOf(path)).sort()).toEqual(["events.sqlite", "events.sqlite-wal"]);
		},
	);
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hashOf } from "../../src/console/session.ts";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { skipWithoutPostgres } from "../support/postgres.ts";
import { freshStore, type StoreKind, type TestStore } from "../support/store.ts";
import { adminToken, csrfOf, operatorWith, signIn } from "./support.ts";

/**
 * Two instances on one store, as behind the balancer (docs/RUNBOOK.md): a session made
 * through one is good on the other, survives a restart, and a sign-out on either ends it
 * on both. On a SQLite file and on PostgreSQL, whichever store the run is for.
 */
const kinds: StoreKind[] = skipWithoutPostgres("console sessions on PostgreSQL") ? ["sqlite"] : ["sqlite", "postgres"];

for (const kind of kinds) {
	describe(`console sessions shared on ${kind}`, () => {
		let sandbox: KnackSandbox;
		let store: TestStore;
		const running: Harness[] = [];
		const instance = async () => {
			const h = await startHarness({ sandbox, store, env: { ADMIN_TOKEN: adminToken } });
			running.push(h);
			return h;
		};
		const stop = async (h: Harness) => {
			running.splice(running.indexOf(h), 1);
			await h.stop();
		};

		beforeAll(async () => {
			sandbox = startKnackSandbox(defaultSandboxOptions());
			store = await freshStore(kind);
		});
		afterAll(async () => {
			for (const h of running) await h.stop();
			await store.drop();
			await sandbox.stop();
		});

		test("signed in on one instance, the operator is served by the other, and after a restart of both", async () => {
			const a = await instance();
			const b = await instance();
			const onA = await signIn(a, "Ana Ruiz");
			const page = await operatorWith(b, onA.cookie).get("/admin/stuck");
			expect(page.status).toBe(200);
			const text = await page.text();
			expect(text).toContain("Signed in as <strong>Ana Ruiz</strong>");
			// The CSRF token is the session's, whichever instance drew the form.
			expect(csrfOf(text)).toBe(csrfOf(await (await onA.get("/admin/stuck")).text()));

			// The store holds a hash of the id, never the id.
			const id = onA.cookie.split("=")[1] as string;
			expect(await a.service.storage.sessions.get(id)).toBeNull();
			expect((await a.service.storage.sessions.get(hashOf(id)))?.name).toBe("Ana Ruiz");

			await stop(a);
			await stop(b);
			const restarted = await instance();
			const after = await operatorWith(restarted, onA.cookie).get("/admin");
			expect(after.status).toBe(200);
			expect(await after.text()).toContain("Signed in as <strong>Ana Ruiz</strong>");
			await stop(restarted);
		});

		test("a sign-out on one instance ends the session on the other, which says so on its sign-in form", async () => {
			const a = await instance();
			const b = await instance();
			const onA = await signIn(a, "Bo");
			const onB = operatorWith(b, onA.cookie);
			expect((await onB.get("/admin")).status).toBe(200);
			const out = await onA.post("/admin/logout", { csrf: csrfOf(await (await onA.get("/admin")).text()) });
			expect(out.status).toBe(303);
			const sent = await onB.get("/admin/stuck");
			expect([sent.status, sent.headers.get("location")]).toEqual([303, "/admin/login?next=%2Fadmin%2Fstuck"]);
			expect(await (await onB.get(sent.headers.get("location") as string)).text()).toContain(
				"Your session has ended; sign in again.",
			);
			await stop(a);
			await stop(b);
		});

		test("a session past its idle time or its lifetime is refused and said to have ended", async () => {
			const h = await instance();
			const now = Date.now();
			const ended = {
				idle: { createdAt: now - 9 * 3_600_000, lastSeen: now - 8 * 3_600_000 - 60_000 },
				lifetime: { createdAt: now - 12 * 3_600_000 - 60_000, lastSeen: now - 60_000 },
			};
			for (const [why, times] of Object.entries(ended)) {
				const id = `ended-by-${why}`;
				await h.service.storage.sessions.create({ idHash: hashOf(id), csrf: "c", name: "Cy", ...times });
				const operator = operatorWith(h, `citybase_console=${id}`);
				const sent = await operator.get("/admin/stuck");
				expect([why, sent.headers.get("location")]).toEqual([why, "/admin/login?next=%2Fadmin%2Fstuck"]);
				const form = await (await operator.get(sent.headers.get("location") as string)).text();
				expect([why, form.includes("Your session has ended; sign in again.")]).toEqual([why, true]);
				expect(await h.service.storage.sessions.get(hashOf(id))).toBeNull();
			}
			await stop(h);
		});
	});
}

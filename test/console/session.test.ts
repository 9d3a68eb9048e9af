import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escapeHtml, html } from "../../src/console/html.ts";
import { createSessionStore, csrfMatches, hashOf, LAST_SEEN_SLACK_MS } from "../../src/console/session.ts";
import { openSqliteStorage } from "../../src/storage/sqlite/index.ts";
import type { Storage } from "../../src/storage/storage.ts";

/** The console's session rules over a real store (a SQLite file); both stores keep sessions alike (test/storage/contract.ts). */
describe("sessions", () => {
	let dir: string;
	let storage: Storage;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "citybase-sessions-"));
		storage = openSqliteStorage(join(dir, "events.sqlite"));
	});
	afterEach(async () => {
		await storage.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test("ids and CSRF tokens are 32 random bytes, different for every session; the store keeps a hash of the id", async () => {
		const sessions = createSessionStore({ store: storage.sessions, clock: () => 0 });
		const a = await sessions.create("Ana");
		const b = await sessions.create("Bo");
		expect(Buffer.from(a.id, "base64url")).toHaveLength(32);
		expect(Buffer.from(a.csrf, "base64url")).toHaveLength(32);
		expect(new Set([a.id, a.csrf, b.id, b.csrf]).size).toBe(4);
		expect(csrfMatches(a, a.csrf)).toBe(true);
		expect(csrfMatches(a, b.csrf)).toBe(false);
		expect(csrfMatches(a, undefined)).toBe(false);
		expect(await storage.sessions.get(a.id)).toBeNull();
		expect(await storage.sessions.get(hashOf(a.id))).toEqual({
			idHash: hashOf(a.id),
			csrf: a.csrf,
			name: "Ana",
			createdAt: 0,
			lastSeen: 0,
		});
		expect(hashOf(a.id)).toMatch(/^[0-9a-f]{64}$/);
	});

	test("a session ends 8 hours after its last request, and 12 hours after sign-in whatever happens", async () => {
		const hour = 3_600_000;
		let now = 0;
		const sessions = createSessionStore({ store: storage.sessions, clock: () => now });
		const idle = await sessions.create("Ana");
		const busy = await sessions.create("Bo");
		for (now = 3 * hour; now <= 12 * hour; now += 3 * hour) expect((await sessions.get(busy.id))?.name).toBe("Bo");
		expect(await sessions.get(idle.id)).toBeNull();
		expect(await storage.sessions.get(hashOf(idle.id))).toBeNull();
		now = 12 * hour + 1;
		expect(await sessions.get(busy.id)).toBeNull();
	});

	test("a request writes the session's last sight only when it is over a minute old", async () => {
		let now = 0;
		const sessions = createSessionStore({ store: storage.sessions, clock: () => now });
		const s = await sessions.create("Ana");
		const lastSeen = async () => (await storage.sessions.get(hashOf(s.id)))?.lastSeen;
		now = LAST_SEEN_SLACK_MS;
		await sessions.get(s.id);
		expect(await lastSeen()).toBe(0);
		now = LAST_SEEN_SLACK_MS + 1;
		await sessions.get(s.id);
		expect(await lastSeen()).toBe(LAST_SEEN_SLACK_MS + 1);
	});

	test("a sign-in prunes the sessions that have ended, whoever's they were", async () => {
		let now = 0;
		const sessions = createSessionStore({ store: storage.sessions, clock: () => now });
		const old = await sessions.create("Ana");
		now = 5 * 3_600_000;
		const live = await sessions.create("Bo");
		now = 8 * 3_600_000 + 1;
		await sessions.create("Cy");
		expect(await storage.sessions.get(hashOf(old.id))).toBeNull();
		expect(await storage.sessions.get(hashOf(live.id))).not.toBeNull();
	});

	test("a deleted session is gone", async () => {
		const sessions = createSessionStore({ store: storage.sessions, clock: () => 0 });
		const s = await sessions.create("Ana");
		await sessions.delete(s.id);
		expect(await sessions.get(s.id)).toBeNull();
	});
});

describe("html", () => {
	test("every interpolated value is escaped unless it is html itself; arrays and empties render", () => {
		const name = `<script>"x" & 'y'</script>`;
		expect(escapeHtml(name)).toBe("&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;");
		expect(html`<p title="${name}">${[html`<b>${1}</b>`, null, false, undefined, "&"]}</p>`.text).toBe(
			`<p title="&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"><b>1</b>&amp;</p>`,
		);
	});
});

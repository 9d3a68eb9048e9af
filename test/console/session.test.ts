import { describe, expect, test } from "bun:test";
import { escapeHtml, html } from "../../src/console/html.ts";
import { createSessionStore, csrfMatches } from "../../src/console/session.ts";

describe("sessions", () => {
	test("ids and CSRF tokens are 32 random bytes, different for every session", () => {
		const sessions = createSessionStore({ clock: () => 0 });
		const a = sessions.create("Ana");
		const b = sessions.create("Bo");
		expect(Buffer.from(a.id, "base64url")).toHaveLength(32);
		expect(Buffer.from(a.csrf, "base64url")).toHaveLength(32);
		expect(new Set([a.id, a.csrf, b.id, b.csrf]).size).toBe(4);
		expect(csrfMatches(a, a.csrf)).toBe(true);
		expect(csrfMatches(a, b.csrf)).toBe(false);
		expect(csrfMatches(a, undefined)).toBe(false);
	});

	test("a session ends after its idle time without a request, and at its lifetime whatever happens", () => {
		let now = 0;
		const sessions = createSessionStore({ clock: () => now, idleMs: 100, lifetimeMs: 250 });
		const idle = sessions.create("Ana");
		const busy = sessions.create("Bo");
		for (now = 90; now <= 240; now += 90) expect(sessions.get(busy.id)?.name).toBe("Bo");
		expect(sessions.get(idle.id)).toBeNull();
		now = 251;
		expect(sessions.get(busy.id)).toBeNull();
	});

	test("a deleted session is gone", () => {
		const sessions = createSessionStore({ clock: () => 0 });
		const s = sessions.create("Ana");
		sessions.delete(s.id);
		expect(sessions.get(s.id)).toBeNull();
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

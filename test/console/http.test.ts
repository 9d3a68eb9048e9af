import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { cli, cliEnv, knackWrites, postUnfinished, seeded, successful } from "../cli/support.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { adminToken, csrfOf, formBody, operatorWith, signIn } from "./support.ts";

/**
 * The console over plain HTTP, no browser: what a script (or a person with curl) can
 * rely on. Sign in with a form field `token`, find a payment, see it stuck, retry it.
 */

let h: Harness;

beforeAll(async () => {
	h = await startHarness({ env: { ADMIN_TOKEN: adminToken } });
});
afterAll(() => h.stop());
beforeEach(() => {
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
});

const url = (path: string) => `${h.service.url}${path}`;

describe("sign-in", () => {
	test("every page without a session redirects to the sign-in form, which asks for the token and a name", async () => {
		const toSignIn = {
			"/admin": "/admin/login",
			"/admin/stuck": "/admin/login?next=%2Fadmin%2Fstuck",
			"/admin/payments/1": "/admin/login?next=%2Fadmin%2Fpayments%2F1",
			"/admin/payments/1/retry": "/admin/login?next=%2Fadmin%2Fpayments%2F1%2Fretry",
			"/admin/nowhere?q=1": "/admin/login?next=%2Fadmin%2Fnowhere%3Fq%3D1",
		};
		for (const [path, location] of Object.entries(toSignIn)) {
			const response = await fetch(url(path), { redirect: "manual" });
			expect([path, response.status, response.headers.get("location")]).toEqual([path, 303, location]);
		}
		// A POST is not sent back to: its form would be sent again.
		const post = await fetch(url("/admin/payments/1/retry"), { method: "POST", redirect: "manual" });
		expect(post.headers.get("location")).toBe("/admin/login");
		const form = await fetch(url("/admin/login"));
		expect(form.status).toBe(200);
		const page = await form.text();
		expect(page).toContain('<form class="card stack" method="post" action="/admin/login">');
		expect(page).toMatch(/<input id="token" name="token" type="password"[^>]* required/);
		expect(page).toContain('name="name"');
		expect(page).not.toContain("session has ended");
		expect(page).not.toContain('name="next"');
	});

	test("sign-in returns to the page that was asked for, through a wrong token too", async () => {
		const asked = await fetch(url("/admin/stuck?since=1"), { redirect: "manual" });
		const form = await (await fetch(url(asked.headers.get("location") as string))).text();
		expect(form).toContain('<input type="hidden" name="next" value="/admin/stuck?since=1">');
		const wrong = await fetch(url("/admin/login"), {
			method: "POST",
			body: formBody({ token: "wrong", name: "Ana", next: "/admin/stuck?since=1" }),
		});
		expect(await wrong.text()).toContain('<input type="hidden" name="next" value="/admin/stuck?since=1">');
		const right = await fetch(url("/admin/login"), {
			method: "POST",
			body: formBody({ token: adminToken, name: "Ana", next: "/admin/stuck?since=1" }),
			redirect: "manual",
		});
		expect([right.status, right.headers.get("location")]).toEqual([303, "/admin/stuck?since=1"]);
	});

	test("a next that is not a page of this console is ignored: no open redirect", async () => {
		const hostile = [
			"https://evil.example/admin",
			"//evil.example/admin",
			"/\\evil.example/admin",
			"\\evil.example/admin",
			"/admin/../evil",
			"/admin/%2e%2e/evil",
			"/administrator",
			"/metrics",
			"javascript:alert(1)",
			" /admin",
			"/\t/evil.example",
			"http:/admin",
		];
		for (const next of hostile) {
			const form = await (await fetch(url(`/admin/login?next=${encodeURIComponent(next)}`))).text();
			expect([next, form.includes('name="next"')]).toEqual([next, false]);
			const signedIn = await fetch(url("/admin/login"), {
				method: "POST",
				body: formBody({ token: adminToken, name: "Ana", next }),
				redirect: "manual",
			});
			expect([next, signedIn.status, signedIn.headers.get("location")]).toEqual([next, 303, "/admin"]);
		}
	});

	test("an unknown or ended session is told so on the sign-in form, once", async () => {
		const made = operatorWith(h, "citybase_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		const sent = await made.get("/admin/stuck");
		expect(sent.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fstuck");
		const told = await made.get(sent.headers.get("location") as string);
		expect(told.status).toBe(200);
		expect(await told.text()).toContain("Your session has ended; sign in again.");
		// The dead cookie is cleared with it, so a reload shows the plain form.
		expect(told.headers.get("set-cookie")).toContain(
			"citybase_console=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
		);

		// A live session is not told anything.
		const operator = await signIn(h);
		const live = await operator.get("/admin/login");
		expect(await live.text()).not.toContain("session has ended");
		expect(live.headers.get("set-cookie")).toBeNull();
	});

	test("a wrong token is answered 401 with the form again and no cookie", async () => {
		const response = await fetch(url("/admin/login"), {
			method: "POST",
			body: formBody({ token: "wrong", name: "Eve" }),
		});
		expect(response.status).toBe(401);
		expect(response.headers.get("set-cookie")).toBeNull();
		const page = await response.text();
		expect(page).toContain("That token is not right");
		expect(page).toContain('name="token"');
		expect(page).toContain('value="Eve"');
	});

	test("a name is required: every repair is recorded under it", async () => {
		const response = await fetch(url("/admin/login"), {
			method: "POST",
			body: formBody({ token: adminToken, name: " \t " }),
			redirect: "manual",
		});
		expect(response.status).toBe(400);
		expect(response.headers.get("set-cookie")).toBeNull();
		expect(await response.text()).toContain("Give your name: every repair you make is recorded under it.");
	});

	test("the right token sets an HttpOnly, SameSite=Strict, expiring session cookie and redirects to /admin", async () => {
		const response = await fetch(url("/admin/login"), {
			method: "POST",
			body: formBody({ token: adminToken, name: "Ana Ruiz" }),
			redirect: "manual",
		});
		expect(response.status).toBe(303);
		expect(response.headers.get("location")).toBe("/admin");
		const cookie = response.headers.get("set-cookie") ?? "";
		expect(cookie).toMatch(/^citybase_console=[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=43200$/);
		const home = await fetch(url("/admin"), { headers: { cookie: cookie.split(";")[0] as string } });
		expect(home.status).toBe(200);
		expect(home.headers.get("content-security-policy")).toContain("default-src 'none'");
		expect(await home.text()).toContain("Signed in as <strong>Ana Ruiz</strong>");
	});

	test("only the token's form field signs in: the bearer token of /metrics opens no console page", async () => {
		const bearer = { authorization: `Bearer ${adminToken}` };
		expect((await fetch(url("/metrics"), { headers: bearer })).status).toBe(200);
		expect((await fetch(url("/metrics"))).status).toBe(401);
		const page = await fetch(url("/admin"), { headers: bearer, redirect: "manual" });
		expect(page.headers.get("location")).toBe("/admin/login");
	});

	test("a made-up or signed-out session is no session", async () => {
		const made = operatorWith(h, "citybase_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		expect((await made.get("/admin")).status).toBe(303);
		const operator = await signIn(h);
		const page = await (await operator.get("/admin")).text();
		const out = await operator.post("/admin/logout", { csrf: csrfOf(page) });
		expect(out.status).toBe(303);
		expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
		expect((await operator.get("/admin")).headers.get("location")).toBe("/admin/login");
	});
});

describe("find, see stuck, retry", () => {
	test("a payment id, an invoice or a Knack record id finds the payment; one match goes straight to it", async () => {
		const operator = await signIn(h);
		await postUnfinished(h, successful(8101, { invoice: "INV-8101" }));
		await h.service.readModel.catchUp();
		for (const q of ["8101", "INV-8101", seeded.transaction]) {
			const found = await operator.get(`/admin?q=${encodeURIComponent(q)}`);
			expect([q, found.status, found.headers.get("location")]).toEqual([q, 303, "/admin/payments/8101"]);
		}
		await postUnfinished(h, successful(8100, { invoice: "INV-8101" }));
		const two = await operator.get("/admin?q=INV-8101");
		expect(two.status).toBe(200);
		const listed = await two.text();
		expect(listed).toContain("2 payments match INV-8101");
		expect(listed).toContain('<a href="/admin/payments/8101">8101</a>');
		expect(listed).toContain('<a href="/admin/payments/8100">8100</a>');
		const none = await operator.get("/admin?q=no-such-invoice");
		expect(none.status).toBe(404);
		expect(await none.text()).toContain("Nothing in the log matches <strong>no-such-invoice</strong>");
	});

	test("/admin/stuck lists the stuck payment with its last error, and its Retry completes it with one set of writes", async () => {
		const operator = await signIn(h, "Ana Ruiz");
		await postUnfinished(h, successful(8102, { invoice: "INV-8102" }));
		const stuck = await (await operator.get("/admin/stuck")).text();
		expect(stuck).toContain('<a href="/admin/payments/8102">8102</a>');
		expect(stuck).toContain("400: field_3352 is invalid");
		expect(stuck).toContain('href="/admin/payments/8102/retry"');

		const confirm = await operator.get("/admin/payments/8102/retry");
		expect(confirm.status).toBe(200);
		const confirmPage = await confirm.text();
		expect(confirmPage).toContain(`PUT object_180/${seeded.transaction}`);
		h.sandbox.clearCalls();
		const done = await operator.post("/admin/payments/8102/retry", { csrf: csrfOf(confirmPage), confirm: "yes" });
		expect(done.status).toBe(200);
		const result = await done.text();
		expect(result).toContain("Retry finished.");
		expect(result).toContain("1 written, 2 already done");
		expect(knackWrites(h)).toEqual([`PUT object_180/${seeded.transaction}`]);
		expect(await (await operator.get("/admin/stuck")).text()).not.toContain("/admin/payments/8102");

		// The repair is in the log under the name typed at sign-in, for the console and the CLI alike.
		const timeline = await (await operator.get("/admin/payments/8102")).text();
		expect(timeline).toMatch(
			/<td>Ana Ruiz<\/td><td>console<\/td><td>replay --payment 8102<\/td><td>1 written, 2 already done<\/td>/,
		);
		const shown = await cli(["payments", "show", "8102"], { env: cliEnv(h) });
		expect(shown.stdout).toMatch(/replay by Ana Ruiz \(console\)\s+1 written, 2 already done/);
	});

	test("a POST without the session's CSRF token, or from another site, is refused and writes nothing", async () => {
		const operator = await signIn(h);
		await postUnfinished(h, successful(8103));
		const csrf = csrfOf(await (await operator.get("/admin/payments/8103/retry")).text());
		h.sandbox.clearCalls();
		const forged = [
			await operator.post("/admin/payments/8103/retry", { confirm: "yes" }),
			await operator.post("/admin/payments/8103/retry", { confirm: "yes", csrf: `${csrf.slice(0, -1)}x` }),
			await operator.post("/admin/payments/8103/retry", { confirm: "yes", csrf }, { origin: "https://evil.example" }),
			await operator.post("/admin/payments/8103/retry", { confirm: "yes", csrf }, { "sec-fetch-site": "cross-site" }),
		];
		expect(forged.map((r) => r.status)).toEqual([403, 403, 403, 403]);
		expect(await (forged[0] as Response).text()).toContain("did not come from a page of this console");
		// Another operator's token is not this session's.
		const other = await signIn(h, "Bo");
		expect((await other.post("/admin/payments/8103/retry", { confirm: "yes", csrf })).status).toBe(403);
		expect(knackWrites(h)).toEqual([]);
		// Without confirm=yes a correct POST only asks.
		const asked = await operator.post("/admin/payments/8103/retry", { csrf });
		expect(await asked.text()).toContain("Yes, retry in Knack");
		expect(knackWrites(h)).toEqual([]);
	});

	test("text from outside (Knack's error bodies, the search) is escaped, never markup", async () => {
		const operator = await signIn(h, "<b>Mallory</b>");
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 400, body: '<img src=x onerror="alert(1)">' });
		expect((await h.post(successful(8104))).status).toBe(400);
		const stuck = await (await operator.get("/admin/stuck")).text();
		expect(stuck).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
		expect(stuck).not.toContain("<img");
		expect(stuck).toContain("Signed in as <strong>&lt;b&gt;Mallory&lt;/b&gt;</strong>");
		const search = await (await operator.get(`/admin?q=${encodeURIComponent('"><script>x</script>')}`)).text();
		expect(search).not.toContain("<script>x");
		expect(search).toContain("&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
	});
});

describe("without ADMIN_TOKEN", () => {
	test("the console answers on loopback, asks no token, and still needs a session and CSRF", async () => {
		const local = await startHarness({ sandbox: h.sandbox });
		try {
			const form = await (await fetch(`${local.service.url}/admin/login`)).text();
			expect(form).toContain("ADMIN_TOKEN is unset");
			expect((await fetch(`${local.service.url}/admin`, { redirect: "manual" })).status).toBe(303);
			const operator = await signIn(local, "Ana Ruiz", "");
			expect((await operator.get("/admin")).status).toBe(200);
			expect((await operator.post("/admin/logout", {})).status).toBe(403);
		} finally {
			await local.stop();
		}
	});
});

describe("outside development", () => {
	test("the session cookie is Secure", async () => {
		const staging = await startHarness({
			sandbox: h.sandbox,
			environment: "staging",
			env: { ADMIN_TOKEN: adminToken },
		});
		try {
			const response = await fetch(`${staging.service.url}/admin/login`, {
				method: "POST",
				body: formBody({ token: adminToken, name: "Ana" }),
				redirect: "manual",
			});
			expect(response.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
		} finally {
			await staging.stop();
		}
	});
});

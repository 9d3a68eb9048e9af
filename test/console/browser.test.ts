import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext } from "playwright-core";
import { knackWrites, messagesOf, postApplied, seeded, successful } from "../cli/support.ts";
import { appIds, type Harness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { checkPage, haveChromium, screenshot, signedIn as signedInAt, startConsole } from "./browser.ts";
import { adminToken } from "./support.ts";

/**
 * The console in a real browser against the service and the Knack sandbox, as an
 * operator uses it: sign in, find a payment, repair what is stuck, verify and fix.
 * Every page is screenshotted at 1280 and 390 px and checked with axe-core on the way.
 * Knack's troubles count in health for a second only, so these pages show no banner
 * (health.test.ts shows it).
 */

let h: Harness;
let browser: Browser;

beforeAll(async () => {
	({ h, browser } = await startConsole({ HEALTH_KNACK_WINDOW_SECONDS: "0.5", HEALTH_SAMPLE_SECONDS: "0.2" }));
});
afterAll(async () => {
	await browser?.close();
	await h?.stop();
});
beforeEach(() => {
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
});

const url = (path: string) => `${h.service.url}${path}`;

const signedIn = (context: BrowserContext, name?: string) => signedInAt(context, h.service.url, name);

/** A payment Knack could not take: the sandbox refuses every call until it recovers. */
async function postDuringOutage(id: number): Promise<void> {
	h.sandbox.inject({ status: 503, times: Number.POSITIVE_INFINITY });
	const response = await h.post(successful(id, { invoice: `INV-${id}` }));
	// Knack's 503, or the deadline's 504 when a loaded machine spends the second on retries.
	expect([503, 504]).toContain(response.status);
	h.sandbox.clearCalls();
}

describe.skipIf(!haveChromium)("console in a browser", () => {
	test("sign in: a wrong token is refused with the form again, the right one opens the page asked for", async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(url("/admin/stuck"));
		expect(page.url()).toBe(url("/admin/login?next=%2Fadmin%2Fstuck"));
		await checkPage(page, "01-sign-in");

		await page.getByLabel("Admin token").fill("not-the-token");
		await page.getByLabel("Your name").fill("Ana Ruiz");
		const [refused] = await Promise.all([
			page.waitForResponse((r) => r.url() === url("/admin/login") && r.request().method() === "POST"),
			page.getByRole("button", { name: "Sign in" }).click(),
		]);
		expect(refused.status()).toBe(401);
		expect(await page.getByRole("alert").textContent()).toContain("That token is not right");
		await checkPage(page, "02-sign-in-wrong-token");

		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL(url("/admin/stuck"));
		expect(await page.getByText("Signed in as").textContent()).toContain("Ana Ruiz");
		const cookie = (await context.cookies()).find((c) => c.name === "citybase_console");
		expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin" });
		expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
		await context.close();
	});

	test("search a payment and read its timeline, with today's figures on the search page", async () => {
		await postApplied(h, successful(9001, { invoice: "INV-9001" }));
		await postDuringOutage(9000);
		h.sandbox.clearFaults();
		const context = await browser.newContext();
		const page = await signedIn(context);
		await checkPage(page, "03-search-and-today");
		expect(await page.locator("svg.chart").getAttribute("role")).toBe("img");
		expect(await page.locator("table.totals tbody").textContent()).toMatch(/^1\s*1\s*0\s*0/);
		// The sandbox reports its daily plan with every answer: the quota left per app.
		expect(await page.locator("table.quota").textContent()).toMatch(/STREET_BANNER\s*[\d,]+\s*1,000,000/);

		await page.getByLabel("CityBase payment id, invoice number or Knack record id").fill("INV-9001");
		await page.getByRole("button", { name: "Search" }).click();
		await page.waitForURL(url("/admin/payments/9001"));
		await checkPage(page, "04-payment-timeline");
		expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Payment 9001");
		const writes = page.locator("section[aria-labelledby=writes] tbody tr");
		expect(await writes.count()).toBe(3);
		expect(await writes.first().textContent()).toMatch(/[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M/);
		expect(await page.locator("section[aria-labelledby=unfinished]").textContent()).toContain("nothing unfinished");
		await context.close();
	});

	test("a search that finds several payments lists them; one that finds none says so; a wrong address is not found", async () => {
		await postApplied(h, successful(9011, { invoice: "INV-9011" }));
		await postApplied(h, successful(9012, { invoice: "INV-9012" }));
		const context = await browser.newContext();
		const page = await signedIn(context);
		// Every test payment pays the seeded transaction record: a search for it lists them all.
		await page.goto(url(`/admin?q=${seeded.transaction.toUpperCase()}`));
		expect(await page.getByRole("link", { name: "9012", exact: true }).count()).toBe(1);
		expect(await page.locator("section[aria-labelledby=results] tbody tr").count()).toBeGreaterThan(1);
		await checkPage(page, "04a-search-several");

		await page.goto(url("/admin?q=INV-NOWHERE"));
		expect(await page.getByRole("status").textContent()).toContain("Nothing in the log matches INV-NOWHERE");
		await checkPage(page, "04b-search-nothing");

		await page.goto(url("/admin/payments/424242"));
		expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Not found");
		await checkPage(page, "04c-not-found");
		await context.close();
	});

	test("a payment stuck in an outage is under Stuck; once Knack recovers, Retry completes it with one set of writes", async () => {
		await postDuringOutage(9002);
		const context = await browser.newContext();
		const page = await signedIn(context);
		await page.getByRole("link", { name: "Stuck payments" }).click();
		await page.waitForURL(url("/admin/stuck"));
		const row = page.locator("tr", { has: page.getByRole("link", { name: "9002", exact: true }) });
		expect(await row.textContent()).toContain("503");
		await checkPage(page, "05-stuck");

		h.sandbox.clearFaults();
		await row.getByRole("link", { name: /^Retry payment 9002/ }).click();
		await page.waitForURL(url("/admin/payments/9002/retry"));
		await checkPage(page, "06-retry-confirm");
		expect(knackWrites(h)).toEqual([]);

		await page.getByRole("button", { name: "Yes, retry in Knack" }).click();
		await page.getByText("Retry finished.").waitFor();
		await checkPage(page, "07-retry-result");
		expect(knackWrites(h).sort()).toEqual(
			["POST object_181", "PUT object_161/638e5bb01370e500241c3e12", "PUT object_180/638e5bc21370e500241c3e15"].sort(),
		);
		expect(messagesOf(h, 9002)).toHaveLength(1);

		await page.getByRole("link", { name: "Stuck payments" }).click();
		expect(await page.getByRole("link", { name: "9002", exact: true }).count()).toBe(0);
		await page.goto(url("/admin/payments/9002"));
		expect(await page.locator("section[aria-labelledby=repairs]").textContent()).toContain("Ana Ruiz");
		await checkPage(page, "08-payment-after-retry");
		await context.close();
	});

	test("Verify finds a record changed in Knack by hand, and Fix puts it back after confirmation", async () => {
		const transaction = "5f9000000000000000000001";
		const lamppost = "5f9000000000000000000002";
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction, field_3352: "INVOICED" });
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: lamppost, field_2796: "Pending Payment" });
		await postApplied(
			h,
			postback({
				id: 9003,
				status: "successful",
				invoice: "INV-9003",
				knackRecordId: transaction,
				bannerType: "LAMPPOST",
				parentRecordId: lamppost,
			}),
		);
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction, field_3352: "INVOICED" });
		h.sandbox.clearCalls();

		const context = await browser.newContext();
		const page = await signedIn(context, "Bo Chen");
		await page.goto(url("/admin/payments/9003"));
		await page.getByRole("link", { name: "Verify against Knack" }).click();
		await page.getByText("Knack disagrees with the log on 1 field.").waitFor();
		await checkPage(page, "09-verify-disagrees");

		// The field is named as the field map names it, its id beside it.
		expect(await page.locator("table", { hasText: "The log says" }).locator("tbody").textContent()).toMatch(
			/transaction status\s*field_3352\s*PAID\s*INVOICED\s*transaction/,
		);

		await page.getByRole("link", { name: "Fix…" }).click();
		await checkPage(page, "10-fix-confirm");
		expect(knackWrites(h)).toEqual([]);
		// A fix re-applies the whole delivery: its confirmation lists every write, the reservation's too.
		const listed = await page.locator("main").textContent();
		for (const call of [
			"POST object_181",
			`PUT object_161/${lamppost}`,
			`PUT object_180/${transaction}`,
			"application status",
			"paid date",
		]) {
			expect(listed).toContain(call);
		}
		await page.getByRole("button", { name: "Yes, fix in Knack" }).click();
		await page.getByText("Fixed: Knack now agrees with the log").waitFor();
		await checkPage(page, "11-fix-result");
		const record = h.sandbox.records(appIds.STREET_BANNER, "object_180").find((r) => r.id === transaction);
		expect(record?.field_3352_raw).toBe("PAID");
		expect(messagesOf(h, 9003)).toHaveLength(1);

		// The message was looked up and found, so it was not inserted again.
		expect(knackWrites(h).sort()).toEqual([`PUT object_161/${lamppost}`, `PUT object_180/${transaction}`]);
		await page.goto(url("/admin/payments/9003/verify"));
		await page.getByText("Knack agrees with the log").waitFor();
		await checkPage(page, "11a-verify-agrees");
		await page.goto(url("/admin/payments/9003"));
		expect(await page.locator("section[aria-labelledby=repairs]").textContent()).toMatch(/Bo Chen.*verify --fix/s);
		await context.close();
	});

	test("a forged POST is refused: from another site (no cookie goes with it) and from the page without the CSRF token", async () => {
		await postDuringOutage(9004);
		h.sandbox.clearFaults();
		const context = await browser.newContext();
		const page = await signedIn(context);

		// Another site's page whose form posts a confirmed retry to the console. From
		// another site (localhost is not 127.0.0.1) the SameSite=Strict cookie stays
		// home; from the same site on another port it goes, and the Origin refuses it.
		const evil = Bun.serve({
			hostname: "127.0.0.1",
			port: 0,
			fetch: () =>
				new Response(
					`<!doctype html><html lang="en"><title>Win a prize</title><form method="post" action="${url("/admin/payments/9004/retry")}"><input type="hidden" name="confirm" value="yes"><button>Claim</button></form></html>`,
					{ headers: { "content-type": "text/html" } },
				),
		});
		try {
			await page.goto(`http://localhost:${evil.port}/`);
			await page.getByRole("button", { name: "Claim" }).click();
			await page.waitForURL(url("/admin/login"));

			await page.goto(`http://127.0.0.1:${evil.port}/`);
			const [crossOrigin] = await Promise.all([
				page.waitForResponse((r) => r.request().method() === "POST"),
				page.getByRole("button", { name: "Claim" }).click(),
			]);
			expect(crossOrigin.status()).toBe(403);
			await page.getByText("did not come from a page of this console").waitFor();
			await screenshot(page, "13-forged-post-refused");
		} finally {
			evil.stop(true);
		}

		// The console's own confirmation form, its CSRF field taken out before it is sent.
		await page.goto(url("/admin/payments/9004/retry"));
		await page.evaluate(`document.querySelector('form[action$="/retry"] input[name="csrf"]').remove()`);
		const [refused] = await Promise.all([
			page.waitForResponse((r) => r.request().method() === "POST"),
			page.getByRole("button", { name: "Yes, retry in Knack" }).click(),
		]);
		expect(refused.status()).toBe(403);
		expect(knackWrites(h)).toEqual([]);
		await context.close();
	});

	test("without JavaScript: sign in, find the stuck payment and retry it with the forms alone", async () => {
		await postDuringOutage(9005);
		h.sandbox.clearFaults();
		const context = await browser.newContext({ javaScriptEnabled: false });
		const page = await signedIn(context, "Cy Park");
		await page.getByRole("link", { name: "Stuck payments" }).click();
		await page
			.locator("tr", { has: page.getByRole("link", { name: "9005", exact: true }) })
			.getByRole("link", { name: /^Retry payment 9005/ })
			.click();
		await page.getByRole("button", { name: "Yes, retry in Knack" }).click();
		await page.getByText("Retry finished.").waitFor();
		await screenshot(page, "12-retry-result-without-javascript");
		expect(messagesOf(h, 9005)).toHaveLength(1);
		await context.close();
	});
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { postApplied, successful } from "../cli/support.ts";
import type { Harness } from "../support/harness.ts";
import { checkPage, haveChromium, signedIn, startConsole } from "./browser.ts";

/**
 * Health on every console page: while `GET /` is FAILING or DEGRADED a banner says
 * why, check by check, and goes once the trouble is fixed; the navigation counts the
 * payments not complete in Knack. Knack refusing our keys is the sandbox answering 401.
 */

let h: Harness;
let browser: Browser;

beforeAll(async () => {
	({ h, browser } = await startConsole({ HEALTH_SAMPLE_SECONDS: "0.1", HEALTH_KNACK_WINDOW_SECONDS: "2" }));
});
afterAll(async () => {
	await browser?.close();
	await h?.stop();
});

const url = (path: string) => `${h.service.url}${path}`;

interface Health {
	status: string;
	summary: string;
	checks: Record<string, { state: string; reason: string; pending?: number }>;
}
const health = async () => (await (await fetch(url("/"))).json()) as Health;

/** Polls `GET /` until it is as wanted: the backlog is sampled, not read at each request. */
async function until(wanted: (health: Health) => boolean): Promise<Health> {
	for (let i = 0; i < 200; i++) {
		const now = await health();
		if (wanted(now)) return now;
		await Bun.sleep(50);
	}
	throw new Error(`GET / never became as wanted: ${JSON.stringify(await health())}`);
}

/** The count beside "Stuck payments" in the navigation, as a person reads it. */
async function navCount(page: Page): Promise<string | null> {
	const count = page.getByRole("navigation").locator(".count");
	return (await count.count()) === 0 ? null : ((await count.textContent())?.trim() ?? null);
}

describe.skipIf(!haveChromium)("health in the console", () => {
	test("Knack refusing our keys: a FAILING banner on every page, with the reason in words; gone once Knack takes them again", async () => {
		const context = await browser.newContext();
		const page = await signedIn(context, h.service.url);
		await until((hh) => hh.status === "OK" && hh.checks.backlog?.pending === 0);
		await page.goto(url("/admin/stuck"));
		expect(await page.locator("section.health").count()).toBe(0);
		expect(await navCount(page)).toBe("0 payments not complete in Knack");
		await checkPage(page, "20-stuck-nothing");

		h.sandbox.inject({
			status: 401,
			times: Number.POSITIVE_INFINITY,
			body: { errors: [{ message: "Invalid API key" }] },
		});
		for (const id of [9501, 9502, 9503]) expect((await h.post(successful(id))).status).toBe(401);
		const failing = await until((hh) => hh.status === "FAILING" && hh.checks.backlog?.pending === 3);
		expect(failing.summary).toStartWith("knack failing: STREET_BANNER: Knack refused our credentials (401)");

		for (const path of ["/admin", "/admin/stuck", "/admin/payments/9501"]) {
			await page.goto(url(path));
			const banner = page.getByRole("region", { name: /The service is FAILING/ });
			expect(await banner.textContent()).toMatch(
				/Knack \(failing since [A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M CT\): STREET_BANNER: Knack refused our credentials \(401\) on the last 3 calls: check the app id and API key/,
			);
			expect(await navCount(page)).toBe("3 payments not complete in Knack");
		}
		await checkPage(page, "21-health-failing");
		// The count in the navigation is the Stuck page's.
		await page.getByRole("link", { name: /Stuck payments/ }).click();
		expect(await page.locator("tbody tr").count()).toBe(3);

		h.sandbox.clearFaults();
		await postApplied(h, successful(9504));
		await until((hh) => hh.checks.knack?.state === "ok");
		await page.reload();
		expect(await page.locator("section.health").count()).toBe(0);
		expect(await page.locator("main").textContent()).toContain("3 payments are not complete in Knack");
		await context.close();
	});

	test("Knack failing for a moment: a DEGRADED banner that says it works, and why", async () => {
		const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
		const page = await context.newPage();
		await page.goto(url("/admin/login"));
		h.sandbox.inject({ status: 503, times: Number.POSITIVE_INFINITY });
		expect([503, 504]).toContain((await h.post(successful(9505))).status);
		h.sandbox.clearFaults();
		await until((hh) => hh.status === "DEGRADED");
		await page.reload();
		// The sign-in page too: GET / tells anyone as much.
		const banner = page.getByRole("region", { name: /The service is DEGRADED: it works/ });
		expect(await banner.textContent()).toContain("STREET_BANNER: Knack's last answer was 503");
		await checkPage(page, "22-health-degraded-sign-in");
		await context.close();
	});
});

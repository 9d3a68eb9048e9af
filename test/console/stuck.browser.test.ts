import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { EventTypes, type OperatorActionData } from "../../src/events/types.ts";
import { knackWrites, successful } from "../cli/support.ts";
import { appIds, type Harness } from "../support/harness.ts";
import { checkPage, haveChromium, signedIn, startConsole } from "./browser.ts";
import { importStuck, type StuckSpec, stuckSpecs } from "./stuckLog.ts";

/**
 * The Stuck page at the size the issue met it: 530 stuck payments, some sent twice. It
 * counts payments, not deliveries, pages through them 50 at a time, and its filters
 * narrow the list and the count. Retry all on a filtered page, once Knack answers again,
 * writes each payment's missing records exactly once (the sandbox's call log) and is
 * recorded as one operator action listing its payments. A lower-case start of an
 * invoice number finds the payment. 527 payments are written into the log as the
 * service would have (stuckLog.ts); three more arrive as postbacks while Knack refuses
 * a write, one of them twice.
 */

let h: Harness;
let browser: Browser;

/** The dead-lettered Street Banner payments: each pays records of its own, so the call log tells their writes apart. */
const ownRecords = (spec: StuckSpec): StuckSpec =>
	spec.app === "STREET_BANNER" && spec.deadLettered
		? {
				...spec,
				records: {
					transaction: `5f${String(spec.citybaseId).padStart(22, "0")}`,
					reservation: `5e${String(spec.citybaseId).padStart(22, "0")}`,
				},
			}
		: spec;
const specs = stuckSpecs(527).map(ownRecords);
const retried = specs.filter((s) => s.records);

beforeAll(async () => {
	// Knack's real rate, so the confirmation's estimate is the one an operator sees; a retry waits up
	// to a second for a slot of it, so the deadline each payment's retry works under is longer than that.
	({ h, browser } = await startConsole({
		KNACK_RATE_LIMIT: "10",
		POSTBACK_DEADLINE_SECONDS: "5",
		CLAIM_LEASE_SECONDS: "10",
	}));
	await importStuck(h.service.storage, specs);
	for (const spec of retried) {
		const records = spec.records as NonNullable<StuckSpec["records"]>;
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: records.transaction, field_3352: "INVOICED" });
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: records.reservation, field_2796: "Pending Payment" });
	}
	// Three live postbacks Knack refuses a write of; the first CityBase sends twice.
	h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 400, times: 4, body: "field_3352 is invalid" });
	for (const id of [9100, 9100, 9101, 9102])
		expect((await h.post(successful(id, { invoice: `INV-${id}` }))).status).toBe(400);
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await h?.stop();
});

const url = (path: string) => `${h.service.url}${path}`;
/** A browser walking eleven pages, or waiting for a retry of 18 payments at 8 calls a second, on a loaded machine. */
const slow = 120_000;

/** The Stuck page's rows, as the payment ids they link to. */
const listed = async (page: Page) => page.locator("table.stuck tbody tr td:nth-child(2) a").allTextContents();

const lead = async (page: Page) => ((await page.locator("p.lead").textContent()) ?? "").replace(/\s+/g, " ");

async function stuckPage(context: BrowserContext): Promise<Page> {
	const page = await signedIn(context, h.service.url);
	await page.getByRole("link", { name: /Stuck payments/ }).click();
	await page.waitForURL(url("/admin/stuck"));
	return page;
}

describe.skipIf(!haveChromium)("the Stuck page at 530 payments", () => {
	test(
		"it counts 530 payments, not their 566 deliveries, and pages through them 50 at a time",
		async () => {
			const deliveries = (await h.service.storage.events.counts()).incomplete;
			expect(deliveries).toBeGreaterThan(530);
			const context = await browser.newContext();
			const page = await stuckPage(context);
			expect(await lead(page)).toBe("530 payments are not complete in Knack.");
			expect(await page.getByRole("navigation").locator(".count").textContent()).toBe(
				"530 payments not complete in Knack",
			);
			const first = await listed(page);
			expect(first).toHaveLength(50);
			expect(new Set(first).size).toBe(50);
			// Sent twice, one row: its two deliveries folded together.
			const twice = page.locator("tr", { has: page.getByRole("link", { name: "70000005", exact: true }) });
			expect(await twice.textContent()).toContain("sent 2 times");
			await checkPage(page, "30-stuck-530-page-1");

			await page.getByRole("link", { name: "Next 50 →" }).click();
			expect(await page.getByRole("heading", { level: 2, name: /Page 2 of 11: payments 51–100/ }).count()).toBe(1);
			const second = await listed(page);
			expect(second).toHaveLength(50);
			expect(second.filter((id) => first.includes(id))).toEqual([]);
			await checkPage(page, "31-stuck-530-page-2");
			await page.getByRole("link", { name: "← Previous 50" }).click();
			expect(await listed(page)).toEqual(first);

			// Every payment once across the 11 pages, the live ones last.
			const all = new Set(first);
			await page.goto(url("/admin/stuck"));
			for (let n = 2; n <= 11; n++) {
				await page.getByRole("link", { name: "Next 50 →" }).click();
				for (const id of await listed(page)) all.add(id);
			}
			expect(all.size).toBe(530);
			expect(await page.getByRole("link", { name: "Next 50 →" }).count()).toBe(0);
			const live = page.locator("tr", { has: page.getByRole("link", { name: "9100", exact: true }) });
			expect(await live.textContent()).toContain("sent 2 times");
			expect(await live.textContent()).toContain("Knack refused the write (4xx)");
			await context.close();
		},
		slow,
	);

	test(
		"the filters narrow the list and its count: app, status, why, age",
		async () => {
			const context = await browser.newContext();
			const page = await stuckPage(context);
			const count = (filter: (s: StuckSpec) => boolean) => specs.filter(filter).length;

			await page.getByLabel("App").selectOption("SMART_MOBILITY");
			await page.getByRole("button", { name: "Show", exact: true }).click();
			const mobility = count((s) => s.app === "SMART_MOBILITY");
			expect(await lead(page)).toBe(`530 payments are not complete in Knack. ${mobility} payments match the filters.`);
			expect(
				new Set((await page.locator("table.stuck tbody td:nth-child(3)").allInnerTexts()).map((t) => t.split("\n")[0])),
			).toEqual(new Set(["SMART_MOBILITY"]));
			await checkPage(page, "32-stuck-filtered-app");

			await page.getByLabel("App").selectOption("STREET_BANNER");
			await page.getByLabel("Why it is stuck").selectOption("dead-lettered");
			await page.getByRole("button", { name: "Show", exact: true }).click();
			expect(await lead(page)).toContain(`${retried.length} payments match the filters.`);
			expect((await listed(page)).sort()).toEqual(retried.map((s) => String(s.citybaseId)).sort());

			await page.goto(url("/admin/stuck?status=voided&age=1d"));
			const day = Date.now() - 86_400_000;
			const oldVoided = count((s) => s.status === "voided" && s.receivedAt < day);
			expect(oldVoided).toBeGreaterThan(0);
			expect(await lead(page)).toContain(`${oldVoided} payments match the filters.`);
			expect(await page.getByLabel("Stuck for").inputValue()).toBe("1d");
			await context.close();
		},
		slow,
	);

	test(
		"Retry all on a filtered page, once Knack answers: each payment's writes exactly once, recorded as one action listing them",
		async () => {
			const context = await browser.newContext();
			const page = await stuckPage(context);
			await page.goto(url("/admin/stuck?app=STREET_BANNER&why=dead-lettered"));
			await page.getByRole("button", { name: `Retry all ${retried.length} payments shown…` }).click();
			await page.waitForURL(/\/admin\/stuck\/retry\?/);
			const successful = retried.filter((s) => s.status === "successful").length;
			const calls = successful * 2 + (retried.length - successful);
			const main = (await page.locator("main").textContent()) ?? "";
			expect(main).toContain(`Retry ${retried.length} payments?`);
			expect(main).toContain(`Retrying them sends ${calls} calls to the development Knack`);
			expect(main).toMatch(
				/STREET_BANNER: \d+ calls, about \d+ seconds at \d calls a second, what the shared Knack budget leaves/,
			);
			expect(await page.locator("main table tbody tr").count()).toBe(retried.length);
			expect(knackWrites(h)).toEqual([]);
			await checkPage(page, "33-retry-all-confirm");

			await page.getByRole("button", { name: `Yes, retry ${retried.length} payments in Knack` }).click();
			await page.waitForURL(/\/admin\/jobs\//);
			const jobUrl = page.url();
			for (let i = 0; i < 150 && !(await page.locator("main").textContent())?.includes("Finished"); i++) {
				await Bun.sleep(200);
				await page.goto(jobUrl);
			}
			expect(await page.locator("main .notice").textContent()).toBe(
				"Finished: every payment it covers is complete in Knack.",
			);
			await checkPage(page, "34-retry-all-finished");

			// Each payment's missing writes, once each: its reservation (when paid) and its transaction.
			const expected = retried.flatMap((s) => {
				const records = s.records as NonNullable<StuckSpec["records"]>;
				const transaction = `PUT object_180/${records.transaction}`;
				return s.status === "successful" ? [`PUT object_161/${records.reservation}`, transaction] : [transaction];
			});
			expect(knackWrites(h).sort()).toEqual(expected.sort());

			// One operator action, before any write, listing exactly these payments.
			const actions: OperatorActionData[] = [];
			for await (const e of h.service.storage.events.range(1, await h.service.storage.events.lastSeq())) {
				if (e.type === EventTypes.operatorAction) actions.push(e.data);
			}
			expect(actions).toHaveLength(1);
			expect(actions[0]).toMatchObject({ who: "Ana Ruiz", by: "console", action: "retry-all" });
			expect(actions[0]?.payments?.sort()).toEqual(retried.map((s) => s.citybaseId).sort());

			// Each payment's page names the person, and links to the retry.
			await page.goto(url(`/admin/payments/${retried[0]?.citybaseId}`));
			expect(await page.locator("section[aria-labelledby=repairs] tbody").textContent()).toMatch(
				/Ana RuizconsoleRetry all shown: 18 payments, page 1 of the stuck payments.*written/,
			);
			await checkPage(page, "34a-payment-after-retry-all");
			await page.goto(url("/admin/stuck"));
			expect(await lead(page)).toBe(`${530 - retried.length} payments are not complete in Knack.`);
			expect(await page.locator("section[aria-labelledby=jobs] tbody tr").allTextContents()).toEqual([
				expect.stringMatching(new RegExp(`Ana Ruiz${retried.length} of ${retried.length} doneFinished$`)),
			]);
			await context.close();
		},
		slow,
	);

	test(
		"search forgives: a lower-case start of an invoice lists the matches; the whole of one opens the payment",
		async () => {
			const context = await browser.newContext();
			const page = await signedIn(context, h.service.url);
			await checkPage(page, "35-home-recent-payments");
			expect(await page.locator("section[aria-labelledby=recent] tbody tr").count()).toBe(50);
			await page.getByRole("link", { name: "Older →" }).click();
			expect(await page.locator("section[aria-labelledby=recent] tbody tr").count()).toBe(50);

			const box = page.getByLabel("CityBase payment id, invoice number or Knack record id");
			await box.fill("inv2022-1001");
			await page.getByRole("button", { name: "Search" }).click();
			expect(await page.locator("#results").textContent()).toBe("The first 50 payments that match inv2022-1001");
			const found = await page.locator("section[aria-labelledby=results] tbody tr td:nth-child(3)").allTextContents();
			expect(found).toHaveLength(50);
			expect(found.every((invoice) => invoice.startsWith("INV2022-1001"))).toBe(true);
			await checkPage(page, "36-search-prefix");

			await page.getByLabel("CityBase payment id, invoice number or Knack record id").fill("inv2022-100250");
			await page.getByRole("button", { name: "Search" }).click();
			await page.waitForURL(url("/admin/payments/70000250"));
			expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Payment 70000250");

			await page.goto(url("/admin?q=inv2022-10052"));
			expect(await page.locator("#results").textContent()).toBe("7 payments match inv2022-10052");
			await context.close();
		},
		slow,
	);
});

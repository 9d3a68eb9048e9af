import { expect } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { missingDependency } from "../support/dependency.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { adminToken } from "./support.ts";

/**
 * A real browser for the console's end-to-end tests: Debian's Chromium driven by
 * playwright-core (no browser is downloaded). Where it is missing the tests are
 * skipped on a developer's machine and fail under CI=true, where .ci/run installs it.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const screenshotDir = join(import.meta.dir, "../../test-artifacts/console");
// Once per test run (the files share one process): no picture of an older run is left to mislead.
rmSync(screenshotDir, { recursive: true, force: true });

/** A desktop and a phone (an iPhone 12 to 15 is 390 px wide). */
export const widths = [1280, 390] as const;

export const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
	missingDependency(
		"the console's browser tests",
		`no Chromium at ${chromiumPath} (.ci/run installs Debian's chromium)`,
	);
}

export function launchBrowser(): Promise<Browser> {
	return chromium.launch({
		executablePath: chromiumPath,
		headless: true,
		// Playwright gives each launch a fresh profile. This machine has no network, so
		// everything Chromium would fetch by itself is turned off.
		args: [
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
		chromiumSandbox: process.getuid?.() !== 0,
	});
}

/**
 * A service for a file's browser tests, with ADMIN_TOKEN set and a postback deadline of
 * a second (a postback during an outage gives up, and is stuck, in a second), and the
 * browser to drive it.
 */
export async function startConsole(env: Record<string, string>): Promise<{ h: Harness; browser: Browser }> {
	const h = await startHarness({
		env: { ADMIN_TOKEN: adminToken, POSTBACK_DEADLINE_SECONDS: "1", CLAIM_LEASE_SECONDS: "2", ...env },
	});
	return { h, browser: await launchBrowser() };
}

/** A new page in `context`, signed in to the console at `base` under `name`. */
export async function signedIn(context: BrowserContext, base: string, name = "Ana Ruiz"): Promise<Page> {
	const page = await context.newPage();
	await page.goto(`${base}/admin`);
	await page.getByLabel("Admin token").fill(adminToken);
	await page.getByLabel("Your name").fill(name);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.waitForURL(`${base}/admin`);
	return page;
}

/**
 * Full-page screenshots at each width under the folder .ci/run prints, named in the
 * order the flows take (`05-stuck-1280.png`, `05-stuck-390.png`). At every width the
 * page itself fits: only a table may scroll, inside its own box. `each` runs at each
 * width too (the accessibility check).
 */
export async function screenshot(page: Page, name: string, each?: () => Promise<void>): Promise<void> {
	mkdirSync(screenshotDir, { recursive: true });
	const viewport = page.viewportSize() ?? { width: 1280, height: 720 };
	try {
		for (const width of widths) {
			await page.setViewportSize({ width, height: viewport.height });
			const wide = await page.evaluate("document.documentElement.scrollWidth");
			expect({ name, width, pageWidth: wide }).toEqual({ name, width, pageWidth: width });
			await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`), fullPage: true });
			await each?.();
		}
	} finally {
		await page.setViewportSize(viewport);
	}
}

const axeSource = readFileSync(join(import.meta.dir, "../../node_modules/axe-core/axe.min.js"), "utf8");

interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[] }[];
}

/**
 * axe-core run in the page (evaluated through the DevTools protocol, so the page's
 * Content Security Policy, which forbids inline scripts, still holds): no serious or
 * critical violation is allowed.
 */
export async function expectAccessible(page: Page): Promise<void> {
	await page.evaluate(axeSource);
	const violations = await page.evaluate(async () => {
		const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
		return (await axe.run()).violations;
	});
	const serious = violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
	expect({ url: page.url(), serious }).toEqual({ url: page.url(), serious: [] });
}

/** Screenshots and an accessibility check of the page as it is now, at each width. */
export async function checkPage(page: Page, name: string): Promise<void> {
	await screenshot(page, name, () => expectAccessible(page));
}

import { expect } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { missingDependency } from "../support/dependency.ts";

/**
 * A real browser for the console's end-to-end tests: Debian's Chromium driven by
 * playwright-core (no browser is downloaded). Where it is missing the tests are
 * skipped on a developer's machine and fail under CI=true, where .ci/run installs it.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const screenshotDir = join(import.meta.dir, "../../test-artifacts/console");

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

/** A full-page screenshot under the folder .ci/run prints, named in the order the flows take. */
export async function screenshot(page: Page, name: string): Promise<void> {
	mkdirSync(screenshotDir, { recursive: true });
	await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
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

/** Screenshot and accessibility check of the page as it is now. */
export async function checkPage(page: Page, name: string): Promise<void> {
	await screenshot(page, name);
	await expectAccessible(page);
}

import type { EnvironmentName } from "../../config.ts";
import type { CheckState } from "../../health/checks.ts";
import { type Html, html } from "../html.ts";
import type { Session } from "../session.ts";
import { austinTime } from "./format.ts";

/** Every console page: skip link, header with the environment and who is signed in, the service's health, one main landmark. */
export interface Chrome {
	title: string;
	environment: EnvironmentName;
	session: Session | null;
	/** the navigation entry to mark as the current page */
	current?: "search" | "stuck";
	/** what `GET /` says right now */
	health: ConsoleHealth;
	/** how many payments are stuck; null when the store could not say */
	stuck: number | null;
}

export interface ConsoleHealth {
	status: CheckState;
	/** the checks that are not ok, in the report's order */
	troubles: { title: string; state: CheckState; reason: string; since: number }[];
}

export function page(chrome: Chrome, main: Html): Html {
	const { session, current } = chrome;
	const link = (href: string, label: Html | string, name: Chrome["current"]) =>
		html`<li><a href="${href}"${current === name ? html` aria-current="page"` : ""}>${label}</a></li>`;
	return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${chrome.title} · Payments console</title>
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="top">
<div class="brand">Knack payments console <span class="env env-${chrome.environment}">${chrome.environment}</span></div>
${
	session
		? html`<nav aria-label="Console">
<ul>${link("/admin", "Find a payment", "search")}${link("/admin/stuck", html`Stuck payments${stuckCount(chrome.stuck)}`, "stuck")}</ul>
</nav>
<form class="signout" method="post" action="/admin/logout">
<span>Signed in as <strong>${session.name}</strong></span>
<input type="hidden" name="csrf" value="${session.csrf}">
<button type="submit" class="button secondary">Sign out</button>
</form>`
		: ""
}
</header>
${healthBanner(chrome.health)}
<main id="main" tabindex="-1">
${main}
</main>
<footer class="foot">Times are Austin time (CT: America/Chicago, CST or CDT as the date falls).</footer>
</body>
</html>`;
}

/** The count beside "Stuck payments": read as part of the link, so a screen reader says what it counts. */
function stuckCount(stuck: number | null): Html | string {
	if (stuck === null) return "";
	return html` <span class="count count-${stuck === 0 ? "none" : "some"}">${stuck.toLocaleString("en-US")}<span class="visually-hidden"> ${stuck === 1 ? "payment" : "payments"} not complete in Knack</span></span>`;
}

const headline = {
	degraded: "The service is DEGRADED: it works, with the trouble below.",
	failing: "The service is FAILING: payments may not reach Knack until the trouble below is fixed.",
} as const;

/**
 * What `GET /` says whenever it is not OK, on every page: each check's reason, so an
 * operator sees why before acting. The runbook's section 11 says what to do.
 */
function healthBanner(health: ConsoleHealth): Html | string {
	if (health.status === "ok") return "";
	return html`<section class="health health-${health.status}" aria-labelledby="health-title">
<h2 id="health-title">${headline[health.status]}</h2>
<ul>${health.troubles.map(
		(t) =>
			html`<li><strong>${t.title}</strong> <span class="state">(${t.state} since ${austinTime(t.since)})</span>: ${t.reason}</li>`,
	)}</ul>
<p class="note">This is what the service's health check (<code>GET /</code>) reports. What to do: the runbook, section 11 (“When GET / says DEGRADED or FAILING”).</p>
</section>`;
}

/** A message above the page's content; `role` makes a screen reader say it at once. */
export function notice(kind: "error" | "success" | "info", text: Html | string): Html {
	return html`<div class="notice notice-${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</div>`;
}

export function csrfField(session: Session): Html {
	return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

/**
 * A table that scrolls inside its own box on a narrow screen, so the page is never wider
 * than the screen. Focusable and named, so a keyboard can scroll it too: by the heading
 * `labelledBy`, or by `title`, written above the box with that id (a caption would
 * scroll away with the table).
 */
export function scrolling(labelledBy: string, table: Html, title?: string): Html {
	return html`${title ? html`<p class="table-title" id="${labelledBy}">${title}</p>` : ""}<div class="scroll" role="region" aria-labelledby="${labelledBy}" tabindex="0">${table}</div>`;
}

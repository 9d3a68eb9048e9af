import type { EnvironmentName } from "../../config.ts";
import { type Html, html } from "../html.ts";
import type { Session } from "../session.ts";

/** Every console page: skip link, header with the environment and who is signed in, one main landmark. */
export interface Chrome {
	title: string;
	environment: EnvironmentName;
	session: Session | null;
	/** the navigation entry to mark as the current page */
	current?: "search" | "stuck";
}

export function page(chrome: Chrome, main: Html): Html {
	const { session, current } = chrome;
	const link = (href: string, label: string, name: Chrome["current"]) =>
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
<ul>${link("/admin", "Find a payment", "search")}${link("/admin/stuck", "Stuck payments", "stuck")}</ul>
</nav>
<form class="signout" method="post" action="/admin/logout">
<span>Signed in as <strong>${session.name}</strong></span>
<input type="hidden" name="csrf" value="${session.csrf}">
<button type="submit" class="button secondary">Sign out</button>
</form>`
		: ""
}
</header>
<main id="main" tabindex="-1">
${main}
</main>
<footer class="foot">Times are Austin time (America/Chicago).</footer>
</body>
</html>`;
}

/** A message above the page's content; `role` makes a screen reader say it at once. */
export function notice(kind: "error" | "success" | "info", text: Html | string): Html {
	return html`<div class="notice notice-${kind}" role="${kind === "error" ? "alert" : "status"}">${text}</div>`;
}

export function csrfField(session: Session): Html {
	return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

import type { Actor, OperatorDeps } from "../../application/operator/deps.ts";
import type { Html } from "../../console/html.ts";
import type { Session, SessionStore } from "../../console/session.ts";
import { type Chrome, type ConsoleHealth, page } from "../../console/views/layout.ts";
import type { AppContext } from "../../context.ts";
import { healthChecks } from "../../health/checks.ts";
import type { HealthReport } from "../../health/monitor.ts";
import { htmlResponse } from "./http.ts";

/** What the console's routes share: the app's context, the sessions, and the operator functions' dependencies. */
export interface ConsoleContext {
	app: AppContext;
	sessions: SessionStore;
	/** the service's storage, Knack client (so its rate limit is shared) and settings, with this operator's name */
	operator(session: Session): OperatorDeps;
	render(title: string, session: Session | null, main: Html, options?: RenderOptions): Response;
}

export interface RenderOptions {
	status?: number;
	current?: Chrome["current"];
	headers?: Record<string, string>;
}

export function consoleContext(app: AppContext, sessions: SessionStore): ConsoleContext {
	return {
		app,
		sessions,
		operator(session) {
			const actor: Actor = { who: session.name, by: "console" };
			return { ...app.operator, actor };
		},
		render(title, session, main, { status, current, headers } = {}) {
			const chrome = { title, session, environment: app.config.environment, current, health: consoleHealth(app) };
			return htmlResponse(page(chrome, main), status, headers);
		},
	};
}

/** The health report as the pages show it: from memory, so every page can carry it at no cost. */
function consoleHealth(app: AppContext): ConsoleHealth {
	const report = app.health.report();
	const troubles = healthChecks.flatMap(({ name, title }) => {
		const check = report.checks[name];
		if (!check || check.state === "ok") return [];
		return [{ title, state: check.state, reason: check.reason, since: check.since }];
	});
	return { status: report.status, troubles, waiting: waitingForKnack(report) };
}

/** Deliveries not yet in Knack, as health last sampled them (every few seconds); null before the first sample. */
export function waitingForKnack(report: HealthReport): number | null {
	const pending = report.checks.backlog?.facts?.pending;
	return typeof pending === "number" ? pending : null;
}

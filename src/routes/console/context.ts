import type { Actor, OperatorDeps } from "../../application/operator/deps.ts";
import { stuckCount } from "../../application/operator/stuck.ts";
import type { Html } from "../../console/html.ts";
import type { Session, SessionStore } from "../../console/session.ts";
import { type Chrome, type ConsoleHealth, page } from "../../console/views/layout.ts";
import type { AppContext } from "../../context.ts";
import { healthChecks } from "../../health/checks.ts";
import { htmlResponse } from "./http.ts";

/** What the console's routes share: the app's context, the sessions, and the operator functions' dependencies. */
export interface ConsoleContext {
	app: AppContext;
	sessions: SessionStore;
	/** the service's storage, Knack client (so its rate limit is shared) and settings, with this operator's name */
	operator(session: Session): OperatorDeps;
	render(title: string, session: Session | null, main: Html, options?: RenderOptions): Promise<Response>;
	/**
	 * Folds what the payments read model has not seen yet (it trails the log by up to a
	 * second), a page at most, so a payment that just failed is on the Stuck page and in a
	 * search; a longer catch-up (after an upgrade) is left to the service, and the pages say so.
	 */
	fresh(): Promise<void>;
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
		async fresh() {
			await app.readModel.catchUp(1).catch((error) => {
				app.logger.warn("console could not bring the read model up to date", { error: (error as Error).message });
			});
		},
		async render(title, session, main, { status, current, headers } = {}) {
			const stuck = session ? await navigationCount(app) : null;
			const chrome = {
				title,
				session,
				environment: app.config.environment,
				current,
				health: consoleHealth(app),
				stuck,
			};
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
	return { status: report.status, troubles };
}

/**
 * How many payments are stuck, for the navigation: the store keeps the count, so every
 * page can show it. A page is still drawn when the store cannot answer (null: no count).
 */
async function navigationCount(app: AppContext): Promise<number | null> {
	try {
		return await stuckCount(app.operator);
	} catch (error) {
		app.logger.warn("could not count the stuck payments for the console", { error: (error as Error).message });
		return null;
	}
}

import { html } from "../../console/html.ts";
import type { Session } from "../../console/session.ts";
import { csrfMatches } from "../../console/session.ts";
import { notice } from "../../console/views/layout.ts";
import type { ConsoleContext } from "./context.ts";
import { field, pageOf, redirect, sameOrigin, sessionOf, signInPath } from "./http.ts";

/**
 * The two doors every console route goes through: a page needs a live session (else
 * the sign-in form, which returns to it), and a POST that changes something needs,
 * besides, a request from the console's own pages and the session's CSRF token.
 */
export type Page = (session: Session, request: Request) => Response | Promise<Response>;

export function signedIn(c: ConsoleContext, handler: Page) {
	return ({ request }: { request: Request }) =>
		admit(c, request, pageOf(request), (session) => handler(session, request));
}

export function signedInPost(
	c: ConsoleContext,
	handler: (session: Session, body: unknown, request: Request) => Promise<Response>,
) {
	return ({ request, body }: { request: Request; body: unknown }) =>
		admit(c, request, null, (session) => {
			if (!sameOrigin(request) || !csrfMatches(session, field(body, "csrf"))) return forged(c, session);
			return handler(session, body, request);
		});
}

/**
 * Runs `handler` for the request's live session, or sends it to sign in, to come back to
 * `next` afterwards. A POST comes back to nothing: its form would be sent again.
 */
function admit(
	c: ConsoleContext,
	request: Request,
	next: string | null,
	handler: (session: Session) => Response | Promise<Response>,
) {
	return failSafe(c, null, async () => {
		const session = await sessionOf(request, c.sessions);
		return session ? failSafe(c, session, () => handler(session)) : redirect(signInPath(next));
	});
}

export function forged(c: ConsoleContext, session: Session | null): Promise<Response> {
	return c.render(
		"Refused",
		session,
		html`<h1>Refused</h1>${notice("error", "This form did not come from a page of this console, so nothing was done. Go back, reload the page and try again.")}`,
		{ status: 403 },
	);
}

/**
 * An unexpected failure (the store's included, while it looks a session up) is logged
 * and shown as such, never as a half-drawn page or a signed-out console.
 */
export async function failSafe(
	c: ConsoleContext,
	session: Session | null,
	run: () => Response | Promise<Response>,
): Promise<Response> {
	try {
		return await run();
	} catch (error) {
		c.app.logger.error("console page failed", { error: (error as Error).message, operator: session?.name ?? null });
		return c.render(
			"Something went wrong",
			session,
			html`<h1>Something went wrong</h1>${notice("error", "The console could not finish this request. It is in the service's log; try again in a moment.")}`,
			{ status: 500 },
		);
	}
}

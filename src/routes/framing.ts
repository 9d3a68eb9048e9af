import { Elysia } from "elysia";
import type { Logger } from "../logging/logger.ts";

/**
 * Every request answered for what it is, whatever a hook or handler does.
 *
 * - A request whose URL cannot be read is refused 400 before any route sees it. HTTP/1.0
 *   allows a request without `Host`; Bun then hands over a relative URL ("/"), and an empty
 *   `Host:` or one with a space does the same. Every `new URL(request.url)` after this
 *   point (the operator guard, the console, the postback's `?token=`) can rely on it.
 * - An error no route answered itself becomes a 500 naming nothing internal. Elysia would
 *   otherwise answer an error thrown in an `onRequest` hook with a 200 whose body is the
 *   error's message: a postback answered 200 with nothing recorded. Elysia's own 4xx
 *   (an unknown path, a body it cannot parse, a failed validation) are left as they are.
 * - What escapes Elysia altogether (an error in a `mapResponse` hook, or in the error
 *   handling itself) reaches Bun's own error handler, given `answerEscapedError`: the
 *   same 500, and never Bun's development page with its stack trace.
 */
const elysiasOwnAnswers = new Set([
	"NOT_FOUND",
	"PARSE",
	"VALIDATION",
	"INVALID_COOKIE_SIGNATURE",
	"INVALID_FILE_TYPE",
]);

const text = (status: number, body: string) =>
	new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

const internalError = () => text(500, "Internal server error: the request was not handled; please retry");

export function framing(logger: Logger) {
	return new Elysia({ name: "framing" })
		.onRequest(({ request }) => {
			if (URL.canParse(request.url)) return;
			return text(
				400,
				"Bad request: no usable Host header, so the request's URL cannot be read; send Host: <this server's name> (HTTP/1.1 requires it)",
			);
		})
		.onError({ as: "global" }, ({ code, error, request }) => {
			// A status the code chose (`status(…)`), or one of Elysia's own 4xx: already right.
			if (typeof code === "number" || elysiasOwnAnswers.has(String(code))) return;
			logger.error("request failed unexpectedly", {
				method: request.method,
				path: URL.canParse(request.url) ? new URL(request.url).pathname : request.url,
				error: error instanceof Error ? error.message : String(error),
			});
			return internalError();
		});
}

/** Bun.serve's `error`: the answer to what no Elysia handler answered. */
export function answerEscapedError(logger: Logger) {
	return (error: Error) => {
		logger.error("request failed outside every handler", { error: error.message });
		return internalError();
	};
}

import { Elysia } from "elysia";
import { receivePostback } from "../application/postbacks.ts";
import type { AppContext } from "../context.ts";
import { Postback } from "../events/payload.ts";
import { createFailureThrottle, isAuthenticated } from "./postbackAuth.ts";

/** `POST /citybase_postback`: raw bytes in (never re-serialised), the application's answer out. */
export function postbackRoutes(ctx: AppContext) {
	const deps = {
		store: ctx.store,
		projector: ctx.projector,
		logger: ctx.logger,
		clock: ctx.clock,
		deadlineMs: ctx.config.postback.deadlineMs,
	};
	const tokens = ctx.config.postback.tokens;
	const throttle = createFailureThrottle();
	return new Elysia({ name: "postback" })
		.post(
			"/citybase_postback",
			async ({ request, server }) => {
				const started = performance.now();
				const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
				const log = ctx.logger.child({ request_id: requestId });
				const remoteAddress = server?.requestIP(request)?.address ?? null;
				if (!isAuthenticated(request, tokens)) {
					const delay = throttle.failed(remoteAddress ?? "unknown");
					log.warn("postback refused: no valid token", { status: 401, remote_address: remoteAddress, delay_ms: delay });
					ctx.metrics.postback("unauthenticated");
					if (delay > 0) await Bun.sleep(delay);
					return new Response("Unauthorized: a valid postback token is required", {
						status: 401,
						headers: {
							"content-type": "text/plain; charset=utf-8",
							"www-authenticate": 'Bearer, Basic realm="citybase"',
						},
					});
				}
				if (tokens.length > 0) throttle.succeeded(remoteAddress ?? "unknown");
				let body: Uint8Array;
				try {
					body = new Uint8Array(await request.arrayBuffer());
				} catch (error) {
					// A chunked body over MAX_BODY_BYTES: Bun stops reading it; nothing is recorded.
					log.warn("postback refused: body too large or cut off", { status: 413, error: (error as Error).message });
					ctx.metrics.postback("rejected");
					return new Response(`Payload too large: at most ${ctx.config.postback.maxBodyBytes} bytes`, {
						status: 413,
						headers: { "content-type": "text/plain; charset=utf-8" },
					});
				}
				let answer: Awaited<ReturnType<typeof receivePostback>>;
				try {
					answer = await receivePostback(
						{ ...deps, logger: log },
						{
							body,
							contentType: request.headers.get("content-type"),
							remoteAddress,
							requestId,
						},
					);
				} catch (error) {
					log.error("postback failed unexpectedly; the delivery is left for recovery", {
						error: (error as Error).message,
					});
					answer = {
						status: 503,
						body: "The postback could not be completed; it will be finished later. Please retry.",
						citybaseId: null,
						deliverySeq: null,
						outcome: "failed",
					};
				}
				ctx.metrics.postback(answer.outcome);
				const level = answer.status >= 500 ? "error" : answer.status >= 400 ? "warn" : "info";
				log[level]("postback answered", {
					status: answer.status,
					citybase_id: answer.citybaseId,
					event_seq: answer.deliverySeq,
					outcome: answer.outcome,
					...(answer.status >= 400 ? { answer: answer.body.slice(0, 500) } : {}),
					duration_ms: Math.round((performance.now() - started) * 10) / 10,
				});
				return new Response(answer.body, {
					status: answer.status,
					headers: { "content-type": "text/plain; charset=utf-8", "x-request-id": requestId },
				});
			},
			{
				// The exact bytes go to the log, so Elysia must not parse (and consume) the body.
				parse: "none",
				detail: {
					summary: "Receive a CityBase payment postback",
					description:
						"Records the delivery, validates it and applies it to Knack. 200 means every Knack write this payment needs is done (now or by an earlier delivery); anything else should be retried.",
					requestBody: {
						required: true,
						content: { "application/json": { schema: Postback as unknown as Record<string, unknown> } },
					},
					responses: {
						200: { description: "Payment status updated (or, for an unknown status, recorded as a message)" },
						400: { description: "Invalid payload; the message names the field and the rule" },
						415: { description: "Content-Type is not application/json" },
						502: { description: "Knack could not be reached" },
						503: { description: "The delivery could not be recorded, or another delivery of it is still running" },
						504: { description: "Knack did not answer in time" },
					},
				},
			},
		)
		.all(
			"/citybase_postback",
			() =>
				new Response("Method not allowed: use POST", {
					status: 405,
					headers: { allow: "POST", "content-type": "text/plain; charset=utf-8" },
				}),
			// Any other method; hidden, or the documentation would show it in place of POST.
			{ detail: { hide: true } },
		);
}

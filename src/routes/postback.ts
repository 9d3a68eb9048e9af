import { Elysia } from "elysia";
import { receivePostback } from "../application/postbacks.ts";
import type { AppContext } from "../context.ts";
import { Postback } from "../events/payload.ts";
import type { Logger } from "../logging/logger.ts";
import { createFailureThrottle, isAuthenticated } from "./postbackAuth.ts";

/**
 * How far past MAX_BODY_BYTES a body is still read (and thrown away) so that its sender
 * can finish writing and read the 413. Bun's own `maxRequestBodySize` sits at the limit
 * plus this: past it Bun answers and closes the socket itself, and a client still
 * writing sees a reset instead of the answer.
 */
export const OVERSIZED_DRAIN_BYTES = 1024 * 1024;

/** What Bun's `maxRequestBodySize` must be for the route, not Bun, to answer oversized postbacks. */
export function serverBodyLimit(maxBodyBytes: number): number {
	return maxBodyBytes + OVERSIZED_DRAIN_BYTES;
}

/**
 * The body's bytes, or null once it has passed `limit`; either way it is read to its
 * end, so the answer comes after the client has finished sending. Rejects when the
 * client goes away or Bun's own bound cuts the body off.
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array | null> {
	const reader = request.body?.getReader();
	if (!reader) return new Uint8Array(0);
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total <= limit) chunks.push(value);
		else chunks.length = 0;
	}
	if (total > limit) return null;
	const body = new Uint8Array(total);
	let at = 0;
	for (const chunk of chunks) {
		body.set(chunk, at);
		at += chunk.byteLength;
	}
	return body;
}

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
	const maxBodyBytes = ctx.config.postback.maxBodyBytes;
	const tooLarge = (log: Logger, fields: Record<string, unknown>) => {
		log.warn("postback refused: body too large or cut off", { status: 413, ...fields });
		ctx.metrics.postback("rejected");
		return new Response(`Payload too large: at most ${maxBodyBytes} bytes`, {
			status: 413,
			headers: { "content-type": "text/plain; charset=utf-8" },
		});
	};
	return new Elysia({ name: "postback" })
		.post(
			"/citybase_postback",
			async ({ request, server }) => {
				const started = performance.now();
				const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
				const log = ctx.logger.child({ request_id: requestId });
				const remoteAddress = server?.requestIP(request)?.address ?? null;
				// Declared too large: 413 whatever the token, as when Bun refused these itself.
				if (Number(request.headers.get("content-length")) > maxBodyBytes) {
					try {
						await readBody(request, 0);
					} catch (error) {
						return tooLarge(log, { error: (error as Error).message });
					}
					return tooLarge(log, {});
				}
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
				let body: Uint8Array | null;
				try {
					body = await readBody(request, maxBodyBytes);
				} catch (error) {
					// Cut off by the client or past Bun's bound (Bun has answered 413 itself); nothing is recorded.
					return tooLarge(log, { error: (error as Error).message });
				}
				// Refused before anything is stored, like every body over the limit (SECURITY.md).
				if (body === null) return tooLarge(log, {});
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
					delivery_seq: answer.deliverySeq,
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

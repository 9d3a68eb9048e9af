import { Elysia } from "elysia";
import { receivePostback } from "../application/postbacks.ts";
import type { AppContext } from "../context.ts";

/** `POST /citybase_postback`: raw bytes in (never re-serialised), the application's answer out. */
export function postbackRoutes(ctx: AppContext) {
	const deps = {
		store: ctx.store,
		projector: ctx.projector,
		logger: ctx.logger,
		clock: ctx.clock,
		deadlineMs: ctx.config.postback.deadlineMs,
	};
	return new Elysia({ name: "postback" })
		.post(
			"/citybase_postback",
			async ({ request, server }) => {
				const started = performance.now();
				const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
				const log = ctx.logger.child({ request_id: requestId });
				let answer: Awaited<ReturnType<typeof receivePostback>>;
				try {
					answer = await receivePostback(
						{ ...deps, logger: log },
						{
							body: new Uint8Array(await request.arrayBuffer()),
							contentType: request.headers.get("content-type"),
							remoteAddress: server?.requestIP(request)?.address ?? null,
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
			{ parse: "none" },
		)
		.all(
			"/citybase_postback",
			() =>
				new Response("Method not allowed: use POST", {
					status: 405,
					headers: { allow: "POST", "content-type": "text/plain; charset=utf-8" },
				}),
		);
}

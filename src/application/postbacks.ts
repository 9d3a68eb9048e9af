import { parseDelivery, type Verdict } from "../events/payload.ts";
import type { Logger } from "../logging/logger.ts";
import type { Projector } from "../projections/knack/run.ts";
import type { ClaimResult, EventStore } from "../storage/storage.ts";

/**
 * One CityBase postback, from bytes to answer (docs/design.md §1): validate, append the delivery
 * and its verdict durably, then project it into Knack and say how that went.
 * Nothing reaches Knack unless the delivery is in the log first.
 */
export interface IncomingDelivery {
	body: Uint8Array;
	contentType: string | null;
	remoteAddress: string | null;
	requestId: string | null;
}

export interface PostbackAnswer {
	status: number;
	body: string;
	citybaseId: number | null;
	deliverySeq: number | null;
	outcome: "applied" | "duplicate" | "rejected" | "failed";
}

export interface PostbackDeps {
	store: EventStore;
	projector: Projector;
	logger: Logger;
	clock: () => number;
	deadlineMs: number;
}

const APPLIED = "Payment status updated";

export async function receivePostback(deps: PostbackDeps, delivery: IncomingDelivery): Promise<PostbackAnswer> {
	const receivedAt = deps.clock();
	const unsupported = unsupportedContentType(delivery.contentType);
	const verdict: Verdict = unsupported ? { accepted: false, reason: unsupported } : parseDelivery(delivery.body);
	const citybaseId = verdict.accepted ? verdict.payment.citybaseId : null;

	// The claim rides on the append's commit: one durable wait fewer before the first Knack call.
	const claimRequest = verdict.accepted ? deps.projector.claimRequest(verdict.payment) : undefined;
	let deliverySeq: number;
	let claim: ClaimResult | undefined;
	try {
		({ deliverySeq, claim } = await deps.store.appendDelivery({ ...delivery, receivedAt }, verdict, claimRequest));
	} catch (error) {
		deps.logger.error("could not record the delivery; nothing was sent to Knack", {
			citybase_id: citybaseId,
			error: (error as Error).message,
		});
		return {
			status: 503,
			body: "The postback could not be recorded; nothing was changed. Please retry.",
			citybaseId,
			deliverySeq: null,
			outcome: "failed",
		};
	}

	if (!verdict.accepted) {
		return {
			status: unsupported ? 415 : 400,
			body: verdict.reason,
			citybaseId,
			deliverySeq,
			outcome: "rejected",
		};
	}

	const { payment } = verdict;
	const result = await deps.projector.project({ deliverySeq, receivedAt, payment }, Date.now() + deps.deadlineMs, {
		by: "postback",
		claim: claimRequest && claim ? { holder: claimRequest.holder, result: claim } : undefined,
	});
	if (!result.ok) {
		return { status: result.status, body: result.text, citybaseId, deliverySeq, outcome: "failed" };
	}
	return {
		status: 200,
		body: result.knownStatus
			? APPLIED
			: `Payment status "${payment.status}" recorded as a message; no transaction or reservation was changed`,
		citybaseId,
		deliverySeq,
		outcome: result.performed === 0 && result.skipped > 0 ? "duplicate" : "applied",
	};
}

function unsupportedContentType(contentType: string | null): string | null {
	if (contentType === null) return null;
	const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
	if (mediaType === "application/json" || mediaType.endsWith("+json")) return null;
	return `Unsupported Content-Type "${mediaType}": the postback must be application/json`;
}

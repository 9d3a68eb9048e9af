import { type KnackAppName, type Payment, parseDelivery } from "../../src/events/payload.ts";
import { EventTypes } from "../../src/events/types.ts";
import { planPostback } from "../../src/projections/knack/plan.ts";
import type { ImportedEvent, Storage } from "../../src/storage/storage.ts";
import { seeded } from "../cli/support.ts";
import { postback } from "../support/payloads.ts";

/**
 * Stuck payments written into a store as the service would have written them: each
 * delivery's exact bytes and verdict, its message inserted, then the next Knack write
 * failed with the status given; a payment sent twice has a second delivery whose write
 * failed again; a dead-lettered one has recovery's dead letter. Written through the
 * importer, a few thousand events a transaction, so a test or a benchmark has 530 or
 * 100,000 of them in seconds. Street Banner payments pay the sandbox's seeded records,
 * so a retry of them succeeds once the sandbox answers.
 */
export interface StuckSpec {
	citybaseId: number;
	app: KnackAppName;
	status: "successful" | "voided";
	invoice: string;
	receivedAt: number;
	/** how many times CityBase sent it (each delivery failed) */
	deliveries: 1 | 2;
	/** what Knack answered the failed write: null, no answer */
	knackStatus: number | null;
	deadLettered: boolean;
	/** its transaction and (when successful) reservation records; the sandbox's seeded ones when absent */
	records?: { transaction: string; reservation: string };
}

const errors: Record<string, string> = {
	"400": '{"errors":[{"message":"field_3352 is invalid"}]}',
	"429": "Rate limit exceeded",
	"503": "Service Unavailable",
	null: "The operation was timed out",
};

/** Many stuck payments, deterministic: every kind of trouble, both apps, some sent twice, ages over days. */
export function stuckSpecs(count: number, options: { firstId?: number; endAt?: number } = {}): StuckSpec[] {
	const firstId = options.firstId ?? 70_000_000;
	const endAt = options.endAt ?? Date.now() - 60_000;
	const statuses = [400, 503, 429, null, 400, 503];
	return Array.from({ length: count }, (_, i) => ({
		citybaseId: firstId + i,
		app: i % 7 === 3 ? "SMART_MOBILITY" : "STREET_BANNER",
		status: i % 3 === 1 ? "voided" : "successful",
		invoice: `INV2022-${100_000 + i}`,
		// Oldest first, an hour apart over the first days, then a minute apart.
		receivedAt: endAt - (count - i) * (i < count / 4 ? 3_600_000 : 60_000),
		deliveries: i % 10 === 5 ? 2 : 1,
		knackStatus: statuses[i % statuses.length] as number | null,
		deadLettered: i % 25 === 12,
	}));
}

export async function importStuck(storage: Storage, specs: StuckSpec[]): Promise<void> {
	const importer = storage.transfer.importer();
	let seq = await storage.events.lastSeq();
	let batch: { event: ImportedEvent; lineNumber: number }[] = [];
	const add = (event: Omit<ImportedEvent, "seq">) => {
		seq++;
		batch.push({ event: { ...event, seq }, lineNumber: seq });
	};
	for (const spec of specs) {
		const body = JSON.stringify(
			postback({
				id: spec.citybaseId,
				status: spec.status,
				invoice: spec.invoice,
				knackRecordId: spec.records?.transaction ?? seeded.transaction,
				parentRecordId: spec.status === "successful" ? (spec.records?.reservation ?? seeded.lamppost) : null,
				app: spec.app,
				bannerType: spec.app === "STREET_BANNER" ? "LAMPPOST" : null,
			}),
		);
		const verdict = parseDelivery(Buffer.from(body));
		if (!verdict.accepted) throw new Error(`a stuck payment's body was refused: ${verdict.reason}`);
		const payment = verdict.payment;
		const [message, next] = planPostback(payment, { fieldMap: "UAT", recordedAt: spec.receivedAt }).effects;
		if (!message || !next) throw new Error("a stuck payment needs two Knack writes");
		for (let d = 0; d < spec.deliveries; d++) {
			const at = spec.receivedAt + d * 30_000;
			const deliverySeq = seq + 1;
			const tied = (type: ImportedEvent["type"], effectKey: string | null, data: unknown) =>
				add({
					...of(payment),
					type,
					recordedAt: at + 500,
					deliverySeq,
					effectKey,
					body: null,
					data: JSON.stringify(data),
				});
			add({
				type: EventTypes.received,
				recordedAt: at,
				deliverySeq: null,
				citybaseId: null,
				paymentStatus: null,
				invoice: null,
				effectKey: null,
				body: Buffer.from(body),
				data: JSON.stringify({ contentType: "application/json", remoteAddress: null, requestId: null }),
			});
			add({
				...of(payment),
				type: EventTypes.accepted,
				recordedAt: at,
				deliverySeq,
				effectKey: null,
				body: null,
				data: JSON.stringify({ payment }),
			});
			const call = { by: "postback", objectKey: message.objectKey, durationMs: 90 };
			if (d === 0) {
				tied(EventTypes.effectSucceeded, message.key, {
					kind: message.kind,
					...call,
					method: message.method,
					recordId: `6b${String(spec.citybaseId).padStart(22, "0")}`,
					knackStatus: 200,
					via: "call",
				});
			}
			tied(EventTypes.effectFailed, next.key, {
				kind: next.kind,
				...call,
				objectKey: next.objectKey,
				method: next.method,
				recordId: next.recordId,
				knackStatus: spec.knackStatus,
				error: errors[String(spec.knackStatus)] ?? "Knack refused the write",
				certain: spec.knackStatus !== null && spec.knackStatus < 500,
			});
			if (d === 0 && spec.deadLettered)
				tied(EventTypes.deadLettered, null, { reason: "50 failed Knack attempts", attempts: 50 });
		}
		if (batch.length >= 4000) {
			await importer.apply(batch);
			batch = [];
		}
	}
	if (batch.length > 0) await importer.apply(batch);
}

const of = (payment: Payment) => ({
	citybaseId: payment.citybaseId,
	paymentStatus: payment.status,
	invoice: payment.invoice,
});

import { type Static, Type as T } from "@sinclair/typebox";
import { EffectKind } from "../events/types.ts";

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S) => T.Union([schema, T.Null()]);

/**
 * Why a stuck payment is stuck, as the Stuck page filters it: a delivery dead-lettered by
 * recovery; else what Knack last answered (429: its rate or quota; another 4xx: it refused
 * the write; a 5xx, a timeout or no answer at all); else `none`, no Knack error recorded
 * yet (still in its request's hands, or held back by the daily quota before any call).
 */
export const Trouble = T.Union([
	T.Literal("dead-lettered"),
	T.Literal("quota"),
	T.Literal("knack-4xx"),
	T.Literal("knack-5xx"),
	T.Literal("none"),
]);
export type Trouble = Static<typeof Trouble>;

/** A delivery of the payment not finished yet, or dead-lettered and not applied since. */
export const OpenDelivery = T.Object({
	/** the delivery's position (its `delivery.received`) */
	seq: T.Integer(),
	receivedAt: T.Integer(),
	status: T.String(),
	deadLettered: T.Boolean(),
});
export type OpenDelivery = Static<typeof OpenDelivery>;

/** The payment's last failed Knack write while something of it was open. */
export const LastError = T.Object({
	at: T.Integer(),
	status: T.String(),
	kind: EffectKind,
	method: T.String(),
	objectKey: T.String(),
	recordId: nullable(T.String()),
	/** null when Knack gave no answer */
	knackStatus: nullable(T.Integer()),
	error: T.String(),
});
export type LastError = Static<typeof LastError>;

/**
 * One row of the local payments read model: a CityBase payment's state as the log
 * tells it. Every store keeps it in its own table and hands it back in this shape.
 */
export const PaymentRow = T.Object({
	citybaseId: T.Integer(),
	app: T.String(),
	invoice: T.String(),
	latestStatus: T.String(),
	totalAmount: T.String(),
	knackRecordId: T.String(),
	parentRecordId: nullable(T.String()),
	/** Knack record ids written for this payment, by effect key */
	knackRecords: T.Record(T.String(), nullable(T.String())),
	deliveries: T.Integer(),
	lastDeliverySeq: T.Integer(),
	updatedAt: T.Integer(),
	/** when its last delivery was received */
	receivedAt: T.Integer(),
	/** what keeps it stuck: its deliveries not finished in Knack, oldest first; empty when none */
	open: T.Array(OpenDelivery),
	/** from `open`, kept as columns so the Stuck page is read by an index: its oldest delivery's time and status */
	stuckSince: nullable(T.Integer()),
	stuckStatus: nullable(T.String()),
	/** null when nothing is open */
	trouble: nullable(Trouble),
	lastError: nullable(LastError),
});
export type PaymentRow = Static<typeof PaymentRow>;

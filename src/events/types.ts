import { type Static, Type as T } from "@sinclair/typebox";
import { Payment } from "./payload.ts";

/**
 * Every kind of event the log holds, and the shape of its `data`. A delivery is
 * recorded first (`delivery.received`, with the exact bytes), then its verdict, then
 * its outcomes (one per Knack write attempted, one per insert a claim's takeover left in
 * doubt), then whether the delivery is done.
 */
export const EventTypes = {
	received: "delivery.received",
	accepted: "delivery.accepted",
	rejected: "delivery.rejected",
	effectSucceeded: "effect.succeeded",
	effectFailed: "effect.failed",
	/** an insert that may be in Knack though no outcome says so (a claim taken over): no call was made */
	effectDoubted: "effect.doubted",
	applied: "delivery.applied",
	deadLettered: "delivery.dead_lettered",
	/** a person's repair (a replay, a verify fix): who, what and how it went; never folded into payment state */
	operatorAction: "operator.action",
} as const;
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/**
 * What "finished" means for a delivery, for every store and every caller: one of these
 * was recorded for it. Recovery takes only unfinished deliveries; an operator's replay
 * can still apply a dead-lettered one, and then it is applied too.
 */
export const finishingTypes = [EventTypes.applied, EventTypes.deadLettered] as const;

export const EffectKind = T.Union([
	T.Literal("message"),
	T.Literal("refund"),
	T.Literal("parent"),
	T.Literal("transaction"),
]);
export type EffectKind = Static<typeof EffectKind>;

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S) => T.Union([schema, T.Null()]);

export const ReceivedData = T.Object({
	contentType: nullable(T.String()),
	remoteAddress: nullable(T.String()),
	requestId: nullable(T.String()),
});
export const AcceptedData = T.Object({ payment: Payment });
export const RejectedData = T.Object({ reason: T.String() });
/** Who ran a Knack write: the postback's own request, the recovery worker, or an operator's replay. */
export const ProjectedBy = T.Union([T.Literal("postback"), T.Literal("recovery"), T.Literal("replay")]);
export type ProjectedBy = Static<typeof ProjectedBy>;

export const EffectSucceededData = T.Object({
	kind: EffectKind,
	by: ProjectedBy,
	method: T.String(),
	objectKey: T.String(),
	recordId: nullable(T.String()),
	knackStatus: T.Integer(),
	/** "lookup": an insert whose outcome was unknown was found already in Knack, so nothing was sent */
	via: T.Union([T.Literal("call"), T.Literal("lookup")]),
	durationMs: T.Number(),
});
export const EffectFailedData = T.Object({
	kind: EffectKind,
	by: ProjectedBy,
	method: T.String(),
	objectKey: T.String(),
	recordId: nullable(T.String()),
	/** null when Knack gave no HTTP answer (network error, timeout) */
	knackStatus: nullable(T.Integer()),
	error: T.String(),
	/** false when Knack may have applied the write although we saw a failure */
	certain: T.Boolean(),
	durationMs: T.Number(),
});
/**
 * The claim on a (payment, status) was taken over from a holder whose lease ran out: it
 * died mid-projection, so this insert of its plan may have reached Knack unrecorded.
 * Nothing was sent; the insert is looked for in Knack before it is sent again, by this
 * holder or, should it die too, by the next. `by` is the taker. Not an attempt: recovery
 * counts only failed calls.
 */
export const EffectDoubtedData = T.Object({
	kind: EffectKind,
	by: ProjectedBy,
	method: T.String(),
	objectKey: T.String(),
});
export const AppliedData = T.Object({ performed: T.Integer(), skipped: T.Integer() });
export const DeadLetteredData = T.Object({ reason: T.String(), attempts: T.Integer() });
export const OperatorActionData = T.Object({
	/** the name the operator gave: typed at the console's sign-in, the OS user for the CLI */
	who: T.String(),
	action: T.Union([T.Literal("replay"), T.Literal("verify-fix"), T.Literal("retry-all")]),
	/** what was asked for, as the CLI would say it (`replay --payment 123`) */
	what: T.String(),
	result: T.String(),
	by: T.Union([T.Literal("console"), T.Literal("cli")]),
	/** a retry of many payments at once: its job, and the payments it covers (the action names no one payment) */
	job: T.Optional(T.String()),
	payments: T.Optional(T.Array(T.Integer())),
});

/** Each event type's `data` schema: the import checks against it, and `StoredEvent` takes its types from it. */
export const EventData = {
	[EventTypes.received]: ReceivedData,
	[EventTypes.accepted]: AcceptedData,
	[EventTypes.rejected]: RejectedData,
	[EventTypes.effectSucceeded]: EffectSucceededData,
	[EventTypes.effectFailed]: EffectFailedData,
	[EventTypes.effectDoubted]: EffectDoubtedData,
	[EventTypes.applied]: AppliedData,
	[EventTypes.deadLettered]: DeadLetteredData,
	[EventTypes.operatorAction]: OperatorActionData,
} as const satisfies Record<EventType, unknown>;

export type ReceivedData = Static<typeof ReceivedData>;
export type AcceptedData = Static<typeof AcceptedData>;
export type RejectedData = Static<typeof RejectedData>;
export type EffectSucceededData = Static<typeof EffectSucceededData>;
export type EffectFailedData = Static<typeof EffectFailedData>;
export type EffectDoubtedData = Static<typeof EffectDoubtedData>;
export type AppliedData = Static<typeof AppliedData>;
export type DeadLetteredData = Static<typeof DeadLetteredData>;
export type OperatorActionData = Static<typeof OperatorActionData>;

/** What every event has, whatever its type: its position, when, and what it is about. */
export interface EventEnvelope {
	seq: number;
	recordedAt: number;
	deliverySeq: number | null;
	citybaseId: number | null;
	paymentStatus: string | null;
	invoice: string | null;
	effectKey: string | null;
	body: Uint8Array | null;
}

/**
 * An event as read from the log: a union discriminated on `type`, so a check of the type
 * gives `data` its shape. `StoredEvent<typeof EventTypes.effectFailed>` is one kind alone.
 * Only a store's decoder (`decodeEvent`) makes one from a row.
 */
export type StoredEvent<K extends EventType = EventType> = {
	[Type in EventType]: EventEnvelope & { type: Type; data: Static<(typeof EventData)[Type]> };
}[K];

/** The events a projection run records about the effects of a plan, written by `EventStore.recordOutcomes`. */
export const outcomeTypes = [EventTypes.effectSucceeded, EventTypes.effectFailed, EventTypes.effectDoubted] as const;
export type OutcomeType = (typeof outcomeTypes)[number];
const outcomeTypeSet = new Set<EventType>(outcomeTypes);
export const isOutcome = (e: StoredEvent): e is StoredEvent<OutcomeType> => outcomeTypeSet.has(e.type);

export type Outcome = { [K in OutcomeType]: { type: K; effectKey: string; data: StoredEvent<K>["data"] } }[OutcomeType];

/** An accepted delivery, as the projector needs it. */
export interface AcceptedDelivery {
	deliverySeq: number;
	receivedAt: number;
	payment: Payment;
}

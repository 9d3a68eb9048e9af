import { type Static, Type as T } from "@sinclair/typebox";

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
	parentRecordId: T.Union([T.String(), T.Null()]),
	/** Knack record ids written for this payment, by effect key */
	knackRecords: T.Record(T.String(), T.Union([T.String(), T.Null()])),
	deliveries: T.Integer(),
	lastDeliverySeq: T.Integer(),
	updatedAt: T.Integer(),
});
export type PaymentRow = Static<typeof PaymentRow>;

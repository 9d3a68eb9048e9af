/**
 * Facts of the two Knack apps (docs/design.md §1, §4): object keys and field ids, as data.
 * `PRODUCTION` applies when the service runs as production, `UAT` otherwise; object
 * keys are the same in both. Nothing else in the code names a `field_N` or `object_N`.
 */
import type { KnackAppName } from "../../events/payload.ts";

export type FieldMapName = "PRODUCTION" | "UAT";
/** Which reservation a successful payment completes. */
export type ParentKind = "OVER_THE_STREET" | "LAMPPOST" | "BLOCK_PARTY";

export interface MessageFields {
	invoice_id: string;
	connected_invoice: string;
	created_date: string;
	status: string;
	citybase_id: string;
}
export interface TransactionFields {
	transaction_status: string;
	transaction_paid_date: string;
}
export interface RefundFields {
	total_amount: string;
	invoice_id: string;
	created_date: string;
	customer_name: string;
	event_name: string;
	type: string;
	banner_reservations_lpb: string;
	banner_reservations_ots: string;
	sub_description: string;
}
export interface ParentFields {
	application_status: string;
	payment_received: string;
	payment_date: string;
}

export interface AppFieldMap {
	messages: MessageFields;
	transactions: TransactionFields;
	/** Street Banner only: refunds are new transaction records */
	refund: RefundFields | null;
	parents: Partial<Record<ParentKind, ParentFields>>;
}

export const objects = {
	STREET_BANNER: {
		messages: "object_181",
		transactions: "object_180",
		parents: { OVER_THE_STREET: "object_164", LAMPPOST: "object_161" },
	},
	SMART_MOBILITY: {
		messages: "object_38",
		transactions: "object_39",
		parents: { BLOCK_PARTY: "object_36" },
	},
} as const satisfies Record<
	KnackAppName,
	{ messages: string; transactions: string; parents: Partial<Record<ParentKind, string>> }
>;

/** The application status a successful payment sets on its reservation. */
export const approvedStatus: Record<ParentKind, string> = {
	OVER_THE_STREET: "Approved",
	LAMPPOST: "Approved",
	BLOCK_PARTY: "Complete - Permit Issued",
};

/** CityBase payment status → Knack transaction status. Other statuses touch no transaction. */
export const transactionStatus: Record<string, string> = {
	successful: "PAID",
	voided: "VOID",
	refunded: "REFUND",
};

const streetBannerParents = {
	OVER_THE_STREET: { application_status: "field_2862", payment_received: "field_2858", payment_date: "field_3144" },
	LAMPPOST: { application_status: "field_2796", payment_received: "field_2808", payment_date: "field_2809" },
};

const smartMobility: AppFieldMap = {
	messages: {
		invoice_id: "field_795",
		connected_invoice: "field_825",
		created_date: "field_799",
		status: "field_797",
		citybase_id: "field_801",
	},
	transactions: { transaction_status: "field_826", transaction_paid_date: "field_827" },
	refund: null,
	parents: {
		BLOCK_PARTY: { application_status: "field_704", payment_received: "field_845", payment_date: "field_844" },
	},
};

export const fieldMaps: Record<FieldMapName, Record<KnackAppName, AppFieldMap>> = {
	PRODUCTION: {
		STREET_BANNER: {
			messages: {
				invoice_id: "field_3363",
				connected_invoice: "field_3369",
				created_date: "field_3366",
				status: "field_3361",
				citybase_id: "field_3368",
			},
			transactions: { transaction_status: "field_3353", transaction_paid_date: "field_3352" },
			refund: {
				total_amount: "field_3342",
				invoice_id: "field_3327",
				created_date: "field_3320",
				customer_name: "field_3334",
				event_name: "field_3336",
				type: "field_3333",
				banner_reservations_lpb: "field_3328",
				banner_reservations_ots: "field_3329",
				sub_description: "field_3351",
			},
			parents: streetBannerParents,
		},
		SMART_MOBILITY: smartMobility,
	},
	UAT: {
		STREET_BANNER: {
			messages: {
				invoice_id: "field_3365",
				connected_invoice: "field_3372",
				created_date: "field_3369",
				status: "field_3367",
				citybase_id: "field_3378",
			},
			transactions: { transaction_status: "field_3352", transaction_paid_date: "field_3366" },
			refund: {
				total_amount: "field_3338",
				invoice_id: "field_3333",
				created_date: "field_3320",
				customer_name: "field_3334",
				event_name: "field_3348",
				type: "field_3337",
				banner_reservations_lpb: "field_3326",
				banner_reservations_ots: "field_3327",
				sub_description: "field_3349",
			},
			parents: streetBannerParents,
		},
		SMART_MOBILITY: smartMobility,
	},
};

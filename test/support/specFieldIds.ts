/**
 * The field table of docs/design.md §4, restated here for the tests on purpose (not
 * imported from `src/projections/knack/fieldMaps.ts`), so a wrong id in the service's
 * field map fails a test instead of being checked against itself.
 */
export const streetBanner = {
	UAT: {
		message: ["field_3365", "field_3372", "field_3369", "field_3367", "field_3378"],
		transaction: ["field_3352", "field_3366"],
		refund: {
			total_amount: "field_3338",
			invoice_id: "field_3333",
			created_date: "field_3320",
			customer_name: "field_3334",
			event_name: "field_3348",
			type: "field_3337",
			lpb: "field_3326",
			ots: "field_3327",
			sub_description: "field_3349",
		},
	},
	PRODUCTION: {
		message: ["field_3363", "field_3369", "field_3366", "field_3361", "field_3368"],
		transaction: ["field_3353", "field_3352"],
		refund: {
			total_amount: "field_3342",
			invoice_id: "field_3327",
			created_date: "field_3320",
			customer_name: "field_3334",
			event_name: "field_3336",
			type: "field_3333",
			lpb: "field_3328",
			ots: "field_3329",
			sub_description: "field_3351",
		},
	},
} as const;

/** Smart Mobility uses the same ids in both field maps. */
export const smartMobility = {
	message: ["field_795", "field_825", "field_799", "field_797", "field_801"],
	transaction: ["field_826", "field_827"],
} as const;

export const objectKeys = {
	STREET_BANNER: { messages: "object_181", transactions: "object_180" },
	SMART_MOBILITY: { messages: "object_38", transactions: "object_39" },
} as const;

/** Reservation objects and their (application status, payment received, payment date) fields. */
export const parents = {
	OVER_THE_STREET: {
		objectKey: "object_164",
		fields: ["field_2862", "field_2858", "field_3144"],
		approved: "Approved",
	},
	LAMPPOST: { objectKey: "object_161", fields: ["field_2796", "field_2808", "field_2809"], approved: "Approved" },
	BLOCK_PARTY: {
		objectKey: "object_36",
		fields: ["field_704", "field_845", "field_844"],
		approved: "Complete - Permit Issued",
	},
} as const;

import refunded from "../fixtures/street-banner-lamppost-refunded.json";

/** A CityBase postback shaped like the real ones in `test/fixtures/`, with the fields a test varies. */
export interface PaymentSpec {
	id: number;
	status: string;
	invoice?: string;
	knackRecordId?: string;
	parentRecordId?: string | null;
	app?: "STREET_BANNER" | "SMART_MOBILITY" | null;
	bannerType?: "LAMPPOST" | "OVER_THE_STREET" | null;
	totalAmount?: number;
}

export function postback(spec: PaymentSpec): { data: Record<string, unknown> } {
	const base = structuredClone(refunded) as { data: Record<string, unknown> };
	const attributes: { key: string; value: string }[] = [
		{ key: "invoice_number", value: spec.invoice ?? `INV2025-${spec.id}` },
		{ key: "knack_record_id", value: spec.knackRecordId ?? "638e5bd41370e500241c3e1f" },
	];
	if (spec.app) attributes.push({ key: "knack_app", value: spec.app });
	if (spec.bannerType) attributes.push({ key: "banner_type", value: spec.bannerType });
	if (spec.parentRecordId) attributes.push({ key: "parent_record_id", value: spec.parentRecordId });
	return {
		data: {
			...base.data,
			id: spec.id,
			status: spec.status,
			total_amount: spec.totalAmount ?? base.data.total_amount,
			custom_attributes: attributes,
		},
	};
}

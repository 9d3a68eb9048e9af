import {
	type FieldMapName,
	fieldMaps,
	type MessageFields,
	objects,
	type ParentFields,
	type ParentKind,
	type RefundFields,
	type TransactionFields,
} from "./fieldMaps.ts";

/**
 * What the field maps' fields are called, for people: pages and CLI output say
 * "transaction status (field_3352)", never the id alone. Keyed by the field maps' own
 * keys, so a field added to a map without a name here fails the type check.
 */
type FieldKey = keyof MessageFields | keyof TransactionFields | keyof RefundFields | keyof ParentFields;

export const fieldLabels: Record<FieldKey, string> = {
	invoice_id: "invoice number",
	connected_invoice: "connected invoice",
	created_date: "created date",
	status: "CityBase status",
	citybase_id: "CityBase payment id",
	transaction_status: "transaction status",
	transaction_paid_date: "paid date",
	total_amount: "total amount",
	customer_name: "customer name",
	event_name: "event name",
	type: "type",
	banner_reservations_lpb: "lamppost reservation",
	banner_reservations_ots: "over-the-street reservation",
	sub_description: "sub-description",
	application_status: "application status",
	payment_received: "payment received",
	payment_date: "payment date",
};

/** field map → object key → field id → name. Ids are unique within an object, not across objects. */
const names: Record<FieldMapName, Map<string, Map<string, string>>> = {
	PRODUCTION: index("PRODUCTION"),
	UAT: index("UAT"),
};

function index(fieldMap: FieldMapName): Map<string, Map<string, string>> {
	const byObject = new Map<string, Map<string, string>>();
	const add = (objectKey: string, fields: object) => {
		const named = byObject.get(objectKey) ?? new Map<string, string>();
		for (const [key, id] of Object.entries(fields)) named.set(id, fieldLabels[key as FieldKey]);
		byObject.set(objectKey, named);
	};
	for (const [app, map] of Object.entries(fieldMaps[fieldMap])) {
		const keys = objects[app as keyof typeof objects];
		add(keys.messages, map.messages);
		// A refund is a new transaction record: its fields are the transaction object's too.
		add(keys.transactions, { ...map.transactions, ...map.refund });
		for (const [kind, fields] of Object.entries(map.parents)) {
			const objectKey = (keys.parents as Partial<Record<ParentKind, string>>)[kind as ParentKind];
			if (objectKey && fields) add(objectKey, fields);
		}
	}
	return byObject;
}

/** The field's name in the field map, or null for an id the map does not know. */
export function fieldName(fieldMap: FieldMapName, objectKey: string, fieldId: string): string | null {
	return names[fieldMap].get(objectKey)?.get(fieldId) ?? null;
}

/** `transaction status (field_3352)`: the name to read, the id beside it to find the field in Knack's builder. */
export function namedField(fieldMap: FieldMapName, objectKey: string, fieldId: string): string {
	const name = fieldName(fieldMap, objectKey, fieldId);
	return name ? `${name} (${fieldId})` : fieldId;
}

import { type Static, Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type ValueError, ValueErrorType } from "@sinclair/typebox/compiler";

/**
 * The CityBase postback payload (docs/design.md §2) and the one function that turns the bytes
 * of a delivery into either a normalised Payment or a specific, human-readable reason
 * for rejecting it. Pure: no I/O, no clock.
 */

const CustomAttribute = T.Object({ key: T.String(), value: T.String() });

export const PaymentData = T.Object(
	{
		id: T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
		status: T.String(),
		amount: T.Number(),
		total_amount: T.Number(),
		service_fee: T.Number(),
		payment_type: T.String(),
		agency: T.String(),
		created_at: T.String(),
		line_items: T.Array(T.Object({})),
		custom_attributes: T.Array(CustomAttribute),
		voidable: T.Optional(T.Boolean()),
		refundable: T.Optional(T.Boolean()),
		payment_source_channel: T.Optional(T.String()),
		associated_payments: T.Optional(
			T.Array(T.Object({ id: T.Integer({ maximum: Number.MAX_SAFE_INTEGER }), status: T.String() })),
		),
	},
	{ description: "A CityBase payment as posted back on a status change. Unknown extra fields are accepted." },
);

export const Postback = T.Object({ data: PaymentData }, { description: "CityBase postback body" });
export type Postback = Static<typeof Postback>;

/** The Knack app a payment belongs to: one name for it everywhere (config, field maps, sandbox). */
export const KnackAppName = T.Union([T.Literal("STREET_BANNER"), T.Literal("SMART_MOBILITY")]);
export type KnackAppName = Static<typeof KnackAppName>;
export const BannerType = T.Union([T.Literal("LAMPPOST"), T.Literal("OVER_THE_STREET")]);

/** A record id goes into a Knack URL path: "." or ".." would address another resource. */
const RecordId = T.String({ minLength: 1, pattern: "^(?!\\.\\.?$)" });

export const CustomAttributes = T.Object({
	knack_record_id: RecordId,
	invoice_number: T.String({ minLength: 1 }),
	knack_app: T.Optional(KnackAppName),
	banner_type: T.Optional(BannerType),
	parent_record_id: T.Optional(RecordId),
});

/** What the projector needs of a delivery; stored with the accepted verdict so replays never re-parse. */
export const Payment = T.Object({
	citybaseId: T.Integer(),
	status: T.String(),
	app: KnackAppName,
	invoice: T.String(),
	knackRecordId: T.String(),
	parentRecordId: T.Union([T.String(), T.Null()]),
	bannerType: T.Union([BannerType, T.Null()]),
	/** total_amount as the Flask service wrote it into a refund record (Python's str of the JSON number) */
	totalAmountText: T.String(),
});
export type Payment = Static<typeof Payment>;

export type Verdict = { accepted: true; payment: Payment } | { accepted: false; reason: string };

const postbackCheck = TypeCompiler.Compile(Postback);
const attributesCheck = TypeCompiler.Compile(CustomAttributes);

export function parseDelivery(body: Uint8Array): Verdict {
	const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
	if (text.trim() === "") return reject("Empty body: expected a JSON object with a data object");

	const depth = nestingDepth(body);
	if (depth > MAX_NESTING)
		return reject(`Malformed JSON: nested ${depth} levels deep; at most ${MAX_NESTING} are accepted`);

	const numberSources = new WeakMap<object, Record<string, string>>();
	let parsed: unknown;
	try {
		parsed = JSON.parse(text, function (this: object, key, value, context?: { source?: string }) {
			if (typeof value === "number" && context?.source !== undefined) {
				const sources = numberSources.get(this) ?? {};
				sources[key] = context.source;
				numberSources.set(this, sources);
			}
			return value;
		});
	} catch {
		// Not the parser's message: Bun's quotes the offending text ("Unexpected identifier
		// \"Jane\""), which could be a card holder's name, and the reason is answered, logged
		// and kept in clear in the log beside a body that is encrypted.
		return reject(MALFORMED_JSON);
	}
	if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
		return reject("Validation error: body must be a JSON object with a data object");
	}
	if (!postbackCheck.Check(parsed)) {
		return reject(`Validation error: ${describe(postbackCheck.Errors(parsed), "")}`);
	}

	const { data } = parsed;
	const attributes: Record<string, string> = {};
	for (const { key, value } of data.custom_attributes) attributes[key] = value;
	if (!attributesCheck.Check(attributes)) {
		return reject(`Malformed custom attributes: ${describe(attributesCheck.Errors(attributes), "", true)}`);
	}
	if (data.status === "successful" && attributes.parent_record_id === undefined) {
		return reject(
			"Malformed custom attributes: parent_record_id is required when status is successful (the reservation is updated)",
		);
	}

	const totalAmountSource = numberSources.get(data)?.total_amount ?? String(data.total_amount);
	return {
		accepted: true,
		payment: {
			citybaseId: data.id,
			status: data.status,
			app: attributes.knack_app ?? "STREET_BANNER",
			invoice: attributes.invoice_number,
			knackRecordId: attributes.knack_record_id,
			parentRecordId: attributes.parent_record_id ?? null,
			bannerType: attributes.banner_type ?? null,
			totalAmountText: pythonNumberText(totalAmountSource, data.total_amount),
		},
	};
}

const MALFORMED_JSON = "Malformed JSON: the body is not valid JSON";

/** A real postback nests about 4 levels; this bound keeps a hostile body from exhausting the parser's stack. */
const MAX_NESTING = 64;

/** How deeply arrays and objects nest, ignoring brackets inside strings; one pass over the bytes. */
function nestingDepth(body: Uint8Array): number {
	let depth = 0;
	let deepest = 0;
	let inString = false;
	for (let i = 0; i < body.length; i++) {
		const byte = body[i];
		if (inString) {
			if (byte === 0x5c) i++;
			else if (byte === 0x22) inString = false;
		} else if (byte === 0x22) inString = true;
		else if (byte === 0x5b || byte === 0x7b) deepest = Math.max(deepest, ++depth);
		else if (byte === 0x5d || byte === 0x7d) depth--;
	}
	return deepest;
}

function reject(reason: string): Verdict {
	return { accepted: false, reason };
}

/**
 * Python's `str()` of a parsed JSON number: integer literals stay integers, anything
 * with a fraction or exponent is a float and prints with at least one decimal
 * ("6000.0"). The refund record's amount must read as the Flask service wrote it.
 */
export function pythonNumberText(source: string, value: number): string {
	if (!/[.eE]/.test(source)) return BigInt(source).toString();
	const abs = Math.abs(value);
	if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
		const [mantissa = "", exponent = "+0"] = value.toExponential().split("e");
		return `${mantissa}e${exponent[0]}${exponent.slice(1).padStart(2, "0")}`;
	}
	const text = Object.is(value, -0) ? "-0" : String(value);
	return Number.isInteger(value) ? `${text}.0` : text;
}

const typeNames: Partial<Record<ValueErrorType, string>> = {
	[ValueErrorType.Integer]: "integer",
	[ValueErrorType.Number]: "number",
	[ValueErrorType.String]: "string",
	[ValueErrorType.Boolean]: "boolean",
	[ValueErrorType.Array]: "array",
	[ValueErrorType.Object]: "object",
};

/** "data.id must be integer", one clause per failing field, in schema order. */
function describe(errors: Iterable<ValueError>, prefix: string, attributes = false): string {
	const clauses: string[] = [];
	const seen = new Set<string>();
	for (const error of errors) {
		const field = fieldName(error.path, attributes);
		if (seen.has(field)) continue;
		seen.add(field);
		clauses.push(`${prefix}${field} ${rule(error)}`);
		if (clauses.length === 5) break;
	}
	return clauses.join("; ");
}

function fieldName(path: string, attributes: boolean): string {
	const parts = path.split("/").filter(Boolean);
	if (parts.length === 0) return attributes ? "custom attributes" : "body";
	return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function rule(error: ValueError): string {
	const schema: TSchema = error.schema;
	switch (error.type) {
		case ValueErrorType.ObjectRequiredProperty:
			return "is required";
		case ValueErrorType.Union:
			return `must be one of ${unionLiterals(schema).join(", ")}`;
		case ValueErrorType.StringMinLength:
			return "must not be empty";
		case ValueErrorType.StringPattern:
			return 'must be a Knack record id, not "." or ".."';
		case ValueErrorType.IntegerMaximum:
		case ValueErrorType.NumberMaximum:
			return `must be at most ${schema.maximum}`;
		case ValueErrorType.IntegerMinimum:
		case ValueErrorType.NumberMinimum:
			return `must be at least ${schema.minimum}`;
		default: {
			const name = typeNames[error.type];
			return name ? `must be ${name}` : error.message.toLowerCase();
		}
	}
}

function unionLiterals(schema: TSchema): string[] {
	const anyOf = (schema.anyOf ?? []) as TSchema[];
	return anyOf.map((s) => String(s.const));
}

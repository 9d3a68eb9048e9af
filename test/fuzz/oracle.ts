import type { Payment } from "../../src/events/payload.ts";
import { depthOf, isMalformed, type Json, meaningOf, Obj } from "./json.ts";
import { pythonStr, type RefundSource } from "./knack.ts";

/**
 * What the service must answer for a body, worked out from docs/design.md §2 on the document
 * tree the fuzzer wrote (not by running the service's parser): the status, and for a
 * 400 the message's category and one clause per failing field.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** MAX_BODY_BYTES' default */
export const MAX_BODY = 256 * 1024;
/** The service's bound on nesting (a real postback nests about 4 levels). */
export const MAX_NESTING = 64;

export type Prefix = "Validation error:" | "Malformed custom attributes:" | "Malformed JSON:" | "Empty body:";
export const prefixes: Prefix[] = [
	"Validation error:",
	"Malformed custom attributes:",
	"Malformed JSON:",
	"Empty body:",
];

export type Expectation =
	| { status: 200; payment: Payment; refund: RefundSource }
	/** `prefix` null: any of the four, for bodies of random bytes */
	| { status: 400; prefix: Prefix | null; clauses: string[] }
	| { status: 413 }
	| { status: 415 };

export const isJsonContentType = (contentType: string | null): boolean => {
	if (contentType === null) return true;
	const media = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
	return media === "application/json" || media.endsWith("+json");
};

const reject = (prefix: Prefix, clauses: string[]): Expectation => ({ status: 400, prefix, clauses });

type Kind = "integer" | "number" | "string" | "boolean";
const is: Record<Kind, (v: unknown) => boolean> = {
	integer: (v) => typeof v === "number" && Number.isInteger(v),
	number: (v) => typeof v === "number" && Number.isFinite(v),
	string: (v) => typeof v === "string",
	boolean: (v) => typeof v === "boolean",
};

const isObject = (v: Json | undefined): v is Obj => v instanceof Obj;

/** The first rule a field breaks, as the message words it; null when it breaks none. */
function scalarRule(value: Json | undefined, kind: Kind, max?: number, min?: number): string | null {
	const v = meaningOf(value);
	if (!is[kind](v)) return `must be ${kind}`;
	if (max !== undefined && (v as number) > max) return `must be at most ${max}`;
	if (min !== undefined && (v as number) < min) return `must be at least ${min}`;
	return null;
}

function schemaClauses(data: Obj): string[] {
	const clauses: string[] = [];
	const field = (name: string, required: boolean, check: (v: Json, path: string) => void) => {
		const value = data.get(name);
		const path = `data.${name}`;
		if (value === undefined) {
			if (required) clauses.push(`${path} is required`);
		} else check(value, path);
	};
	const scalar = (kind: Kind, max?: number, min?: number) => (v: Json, path: string) => {
		const rule = scalarRule(v, kind, max, min);
		if (rule) clauses.push(`${path} ${rule}`);
	};
	const arrayOf = (item: (v: Json, path: string) => void) => (v: Json, path: string) => {
		if (!Array.isArray(v)) clauses.push(`${path} must be array`);
		else
			v.forEach((element, i) => {
				item(element, `${path}[${i}]`);
			});
	};
	const object =
		(props: [string, (v: Json, path: string) => void][] = []) =>
		(v: Json, path: string) => {
			if (!isObject(v)) {
				clauses.push(`${path} must be object`);
				return;
			}
			for (const [name] of props) if (v.get(name) === undefined) clauses.push(`${path}.${name} is required`);
			for (const [name, check] of props) {
				const inner = v.get(name);
				if (inner !== undefined) check(inner, `${path}.${name}`);
			}
		};

	field("id", true, scalar("integer", MAX_SAFE, 0));
	field("status", true, scalar("string"));
	field("amount", true, scalar("number"));
	field("total_amount", true, scalar("number"));
	field("service_fee", true, scalar("number"));
	field("payment_type", true, scalar("string"));
	field("agency", true, scalar("string"));
	field("created_at", true, scalar("string"));
	field("line_items", true, arrayOf(object()));
	field(
		"custom_attributes",
		true,
		arrayOf(
			object([
				["key", scalar("string")],
				["value", scalar("string")],
			]),
		),
	);
	field("voidable", false, scalar("boolean"));
	field("refundable", false, scalar("boolean"));
	field("payment_source_channel", false, scalar("string"));
	field(
		"associated_payments",
		false,
		arrayOf(
			object([
				["id", scalar("integer", MAX_SAFE)],
				["status", scalar("string")],
			]),
		),
	);
	return clauses;
}

const apps = ["STREET_BANNER", "SMART_MOBILITY"];
const bannerTypes = ["LAMPPOST", "OVER_THE_STREET"];

/**
 * The expectation for a document the fuzzer built, sent with a JSON content type and
 * within the size limit. `refund` is what the payment's transaction record holds.
 */
export function expectFor(root: Json, refund: RefundSource): Expectation {
	if (depthOf(root) > MAX_NESTING) return reject("Malformed JSON:", ["nested"]);
	if (isMalformed(root)) return reject("Malformed JSON:", []);
	if (!isObject(root)) return reject("Validation error:", ["body must be a JSON object with a data object"]);
	const data = root.get("data");
	if (data === undefined) return reject("Validation error:", ["data is required"]);
	if (!isObject(data)) return reject("Validation error:", ["data must be object"]);
	const schema = schemaClauses(data);
	if (schema.length > 0) return reject("Validation error:", schema);

	// A later key wins; a Map, so that "__proto__" or "constructor" are keys like any other.
	const attributes = new Map<string, string>();
	for (const entry of data.get("custom_attributes") as Obj[]) {
		attributes.set(meaningOf(entry.get("key")) as string, meaningOf(entry.get("value")) as string);
	}
	const clauses: string[] = [];
	for (const name of ["knack_record_id", "invoice_number"]) {
		const value = attributes.get(name);
		if (value === undefined) clauses.push(`${name} is required`);
		else if (value === "") clauses.push(`${name} must not be empty`);
	}
	const app = attributes.get("knack_app");
	if (app !== undefined && !apps.includes(app)) clauses.push(`knack_app must be one of ${apps.join(", ")}`);
	const banner = attributes.get("banner_type");
	if (banner !== undefined && !bannerTypes.includes(banner)) {
		clauses.push(`banner_type must be one of ${bannerTypes.join(", ")}`);
	}
	const parent = attributes.get("parent_record_id");
	if (parent === "") clauses.push("parent_record_id must not be empty");
	if (clauses.length > 0) return reject("Malformed custom attributes:", clauses);

	const status = meaningOf(data.get("status")) as string;
	if (status === "successful" && parent === undefined) {
		return reject("Malformed custom attributes:", ["parent_record_id is required when status is successful"]);
	}
	const total = data.get("total_amount") as Json;
	return {
		status: 200,
		payment: {
			// -0 is the integer 0
			citybaseId: (meaningOf(data.get("id")) as number) + 0,
			status,
			app: (app ?? "STREET_BANNER") as Payment["app"],
			invoice: attributes.get("invoice_number") as string,
			knackRecordId: attributes.get("knack_record_id") as string,
			parentRecordId: parent ?? null,
			bannerType: (banner ?? null) as Payment["bannerType"],
			totalAmountText: pythonStr(numberSource(total)),
		},
		refund,
	};
}

function numberSource(value: Json): string {
	if (typeof value === "number") return JSON.stringify(value);
	const text = (value as { text?: unknown }).text;
	if (typeof text !== "string") throw new Error("total_amount is written as bytes: the oracle cannot read it");
	return text;
}

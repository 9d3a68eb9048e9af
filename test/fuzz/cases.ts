import fc from "fast-check";
import { depthOf, fromPlain, type Json, meaningOf, num, Obj, Raw, render } from "./json.ts";
import type { RefundSource } from "./knack.ts";
import { type Expectation, expectFor, isJsonContentType, MAX_BODY, MAX_NESTING } from "./oracle.ts";

/**
 * The fuzz run's payloads. A case is drawn by fast-check as a recipe and built for a
 * delivery number `n`: a payment's id, invoice and Knack record ids are derived from
 * `n`, so no two accepted deliveries are of the same payment (a repeat would be a
 * duplicate, answered from the log without any Knack call, which is another test's
 * subject) and every Knack call can be traced to its delivery.
 */

export interface FuzzCase {
	kind: string;
	body: Uint8Array;
	contentType: string | null;
	/** sent as a stream, without Content-Length */
	chunked: boolean;
	expect: Expectation;
	/** a specific answer expected, beyond what the oracle derives */
	answer?: string;
}

export interface Recipe {
	kind: string;
	contentType: string | null;
	chunked: boolean;
	build(n: number): Built;
}

interface Built {
	bytes: Uint8Array;
	/** the document the bytes were rendered from, when the oracle should judge it (`null` is one) */
	tree?: Json;
	/** the expectation, when the body is not a document the oracle can read */
	expect?: Expectation;
	answer?: string;
	/** what the payment's Street Banner transaction record holds, for a refund to copy */
	refund?: RefundSource;
}

export const ID_BASE = 700_000_000;

/** A Knack record id (24 hex digits), distinct per delivery and per role. */
export const recordId = (role: "a1" | "b2" | "c3" | "d4" | "e5", n: number): string =>
	`${role}${n.toString(16).padStart(22, "0")}`;

export function toCase(recipe: Recipe, n: number): FuzzCase {
	const built = recipe.build(n);
	const refund = built.refund ?? defaultRefund(n);
	let expect: Expectation;
	if (built.bytes.length > MAX_BODY) expect = { status: 413 };
	else if (!isJsonContentType(recipe.contentType)) expect = { status: 415 };
	else if (built.expect) expect = built.expect;
	else if (built.tree !== undefined) expect = expectFor(built.tree, refund);
	else throw new Error(`${recipe.kind}: neither a document nor an expectation`);
	return {
		kind: recipe.kind,
		body: built.bytes,
		contentType: recipe.contentType,
		chunked: recipe.chunked,
		expect,
		answer: built.answer,
	};
}

const defaultRefund = (n: number): RefundSource => ({
	customerName: "Chia B",
	eventName: `Event ${n}`,
	type: "Lamppost",
	subDescription: `FZ-${n} - convention center`,
	lpbId: recordId("c3", n),
	ots: "empty",
});

// ---------------------------------------------------------------- values

const text = fc.oneof(
	{ weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }) },
	{ weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 16 }) },
	{
		weight: 2,
		arbitrary: fc.constantFrom(
			"",
			"\u0000",
			"\ud800",
			"a\udfffb",
			"\u202e\u0645",
			"𝕏😀👩‍👩‍👧",
			"日本語",
			'"quoted"',
			"back\\slash",
			"<script>&amp;",
			"\n\t\r",
			"\ufeff",
			"%2F../x?y#z",
		),
	},
);

/** Valid JSON number literals of every shape CityBase could send and some it never would. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
	fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
	fc.integer({ min: -1_000_000, max: 1_000_000 }).map((i) => `${i}.0`),
	fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${b}`),
	fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
	fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x.toExponential()),
	fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x.toExponential().toUpperCase().replace("E+", "E")),
	fc.constantFrom(
		"6000.0",
		"0.55",
		"-0.0",
		"1E5",
		"1e16",
		"1e-5",
		"0.0001",
		"100.10",
		"1e308",
		"-1.5e-300",
		"123456789012345678901234567890",
		"9999999999999999.0",
		"1.0e+2",
		"-5",
		"0",
	),
);

const plainJson = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }).map(fromPlain);

function nested(depth: number, innermost: Json, objects: boolean): Json {
	let value = innermost;
	for (let i = 0; i < depth; i++) value = objects ? Obj.of({ a: value }) : [value];
	return value;
}

/** Brackets too deep to build as a tree, written as text. */
const deepRaw = (depth: number, objects: boolean): Raw =>
	new Raw(objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`, {
		value: objects ? {} : [],
		depth,
	});

const deepValue: fc.Arbitrary<Json> = fc
	.tuple(
		fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constantFrom(MAX_NESTING - 3, MAX_NESTING - 2, 1000, 10_000, 100_000)),
		fc.boolean(),
	)
	.map(([depth, objects]) => (depth <= 70 ? nested(depth, 1, objects) : deepRaw(depth, objects)));

/** Not JSON at all, wherever it is written. */
const malformed = fc
	.constantFrom(
		"NaN",
		"-NaN",
		"Infinity",
		"-Infinity",
		"undefined",
		"'single'",
		"01",
		"1.",
		".5",
		"+1",
		"0x10",
		"1e",
		"tru",
		"nul",
		'"tab\tinside"',
		'"bad \\x escape"',
		'"\\ud83d\\u"',
		"[1,]",
		'{"a":1,}',
		"/* comment */ 1",
		"1 // comment",
		'"unterminated',
	)
	.map((t) => new Raw(t, { malformed: true, depth: /^[[{]/.test(t) ? 1 : 0 }));

const strayBytes = fc
	.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff], [0x00])
	.map((bytes) => new Raw(new Uint8Array(bytes), { malformed: true }));

/** A string holding bytes that are not UTF-8, which the service reads as U+FFFD. */
const badUtf8String = fc
	.tuple(
		fc.string({ maxLength: 4, unit: "grapheme-ascii" }).map((s) => s.replace(/["\\]/g, "")),
		fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80, 0x80]),
	)
	.map(([prefix, bad]) => {
		const head = new TextEncoder().encode(prefix);
		const content = new Uint8Array([...head, ...bad, 0x7a]);
		const bytes = new Uint8Array([0x22, ...content, 0x22]);
		return new Raw(bytes, { value: new TextDecoder("utf-8", { fatal: false }).decode(content) });
	});

/** Any value at all for a field: right, wrong, odd, huge, deep, or not JSON. */
const anyValue: fc.Arbitrary<Json> = fc.oneof(
	{ weight: 4, arbitrary: plainJson },
	{ weight: 3, arbitrary: numberText.map(num) },
	{ weight: 2, arbitrary: numberText },
	{
		weight: 2,
		arbitrary: fc.constantFrom(
			"NaN",
			"Infinity",
			"-Infinity",
			"null",
			"true",
			"",
			"1,5",
			"$50.00",
			"50.00",
			"-1",
			"0x1F",
		) as fc.Arbitrary<Json>,
	},
	{ weight: 2, arbitrary: fc.constantFrom(num("1e400"), num("-1e400"), num("1.5"), num("-1"), num("-0.5")) },
	{ weight: 2, arbitrary: text },
	{ weight: 1, arbitrary: fc.constantFrom(null, true, false, [], new Obj()) },
	{ weight: 1, arbitrary: deepValue },
	{ weight: 1, arbitrary: malformed },
	{ weight: 1, arbitrary: badUtf8String },
	{ weight: 1, arbitrary: fc.integer({ min: 1, max: 30_000 }).map((size) => "é".repeat(size)) },
);

const idRenderings = [
	(id: number) => num(String(id)),
	(id: number) => num(`${id}.0`),
	(id: number) => num(`${id}.000e0`),
	(id: number) => num(`${id}00e-2`),
	(id: number) => num(`${id}E+0`),
	(id: number) => {
		const d = String(id);
		return num(`${d[0]}.${d.slice(1)}e${d.length - 1}`);
	},
];

/** An id for delivery `n`: its own written some valid way, or one that breaks a rule. */
const idValue: fc.Arbitrary<(n: number) => Json> = fc.oneof(
	{
		weight: 3,
		arbitrary: fc
			.nat(idRenderings.length - 1)
			.map((i) => (n: number) => (idRenderings[i] as (id: number) => Json)(ID_BASE + n)),
	},
	{
		weight: 3,
		arbitrary: fc
			.oneof(
				fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map((b) => num(String(b))),
				fc.constantFrom(num("9007199254740992"), num("18014398509481985"), num("1e400"), num("1e20")),
				fc.integer({ min: -1_000_000, max: -1 }).map((i) => num(String(i))),
				fc.constantFrom(num("1.5"), num("-0.5"), num("700000001.25")),
			)
			.map((v) => () => v as Json),
	},
	{
		weight: 2,
		arbitrary: anyValue
			.filter((v) => {
				const meaning = v instanceof Raw ? v.meaning.value : v;
				// another valid id would be another payment, possibly someone else's
				return !(typeof meaning === "number" && Number.isInteger(meaning) && meaning >= 0);
			})
			.map((v) => () => v),
	},
	{ weight: 1, arbitrary: fc.constant((n: number) => String(ID_BASE + n)) },
);

// ---------------------------------------------------------------- the document

type App = "STREET_BANNER" | "SMART_MOBILITY";
type Banner = "LAMPPOST" | "OVER_THE_STREET";

interface DocSpec {
	app: App;
	writeApp: boolean;
	status: string;
	banner: Banner | null;
	parent: boolean;
	invoiceSuffix: string;
	totalAmount: string;
	amount: string;
	serviceFee: string;
	optional: { voidable: boolean | null; refundable: boolean | null; channel: string | null; associated: boolean };
	extras: [string, Json][];
	extraAttributes: [string, string][];
	space: string;
	order: number[] | null;
	refund: Omit<RefundSource, "lpbId" | "ots"> & { lpb: boolean; ots: "id" | "empty" | "missing" };
}

const knownStatus = fc.constantFrom("successful", "successful", "voided", "refunded", "refunded");
const unknownStatus = fc
	.oneof(fc.constantFrom("failed", "pending", "Successful", "SUCCESSFUL", " voided", "refunded\u0000", ""), text)
	.filter((s) => !["successful", "voided", "refunded"].includes(s));
const extraKey = fc.oneof(
	fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "request_id", "credit_card", "Data", "ID"),
	fc.string({ unit: "binary", maxLength: 10 }),
);
const dataKeys = new Set([
	"id",
	"status",
	"amount",
	"total_amount",
	"service_fee",
	"payment_type",
	"agency",
	"created_at",
	"line_items",
	"custom_attributes",
	"voidable",
	"refundable",
	"payment_source_channel",
	"associated_payments",
]);
const attributeKeys = ["knack_record_id", "invoice_number", "knack_app", "banner_type", "parent_record_id"];

const docSpec: fc.Arbitrary<DocSpec> = fc
	.record({
		app: fc.constantFrom<App>("STREET_BANNER", "STREET_BANNER", "SMART_MOBILITY"),
		writeApp: fc.boolean(),
		status: fc.oneof({ weight: 4, arbitrary: knownStatus }, { weight: 1, arbitrary: unknownStatus }),
		banner: fc.constantFrom<Banner | null>("LAMPPOST", "OVER_THE_STREET", null),
		parent: fc.boolean(),
		invoiceSuffix: fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: text }),
		totalAmount: fc.oneof({ weight: 2, arbitrary: fc.constantFrom("6000.0", "75", "12.5") }, numberText),
		amount: fc.oneof(fc.constant("6000.0"), numberText),
		serviceFee: fc.oneof(fc.constant("0.55"), numberText),
		optional: fc.record({
			voidable: fc.option(fc.boolean()),
			refundable: fc.option(fc.boolean()),
			channel: fc.option(text),
			associated: fc.boolean(),
		}),
		extras: fc.array(
			fc.tuple(
				extraKey.filter((k) => !dataKeys.has(k)),
				fc.oneof(plainJson, text),
			),
			{ maxLength: 3 },
		),
		extraAttributes: fc.array(fc.tuple(extraKey, text), { maxLength: 3 }),
		space: fc.constantFrom("", "", "", " ", "\n", "\t", "\r\n  "),
		order: fc.option(fc.array(fc.nat(), { minLength: 20, maxLength: 20 })),
		refund: fc.record({
			customerName: text,
			eventName: text,
			type: fc.constantFrom("Lamppost", "Over the street"),
			subDescription: text,
			lpb: fc.boolean(),
			ots: fc.constantFrom<"id" | "empty" | "missing">("id", "empty", "missing"),
		}),
	})
	.map((s) => ({
		...s,
		writeApp: s.app === "SMART_MOBILITY" || s.writeApp,
		// docs/design.md §2: a successful payment must name its reservation; other cases break that on purpose
		parent: s.parent || s.status === "successful",
		extraAttributes: s.extraAttributes.filter(([k]) => !attributeKeys.includes(k)),
	}));

interface Doc {
	n: number;
	root: Obj;
	data: Obj;
	refund: RefundSource;
}

function buildDoc(s: DocSpec, n: number): Doc {
	const refund: RefundSource = {
		customerName: s.refund.customerName,
		eventName: s.refund.eventName,
		type: s.refund.type,
		subDescription: s.refund.subDescription,
		lpbId: s.refund.lpb ? recordId("c3", n) : null,
		ots: s.refund.ots === "id" ? { id: recordId("d4", n) } : s.refund.ots,
	};
	const attribute = (key: string, value: string) => Obj.of({ key, value });
	const attributes: Json[] = [
		attribute("invoice_number", `FZ-${n}-${s.invoiceSuffix}`),
		attribute("knack_record_id", recordId("a1", n)),
	];
	if (s.writeApp) attributes.push(attribute("knack_app", s.app));
	if (s.banner) attributes.push(attribute("banner_type", s.banner));
	if (s.parent) attributes.push(attribute("parent_record_id", recordId("b2", n)));
	for (const [key, value] of s.extraAttributes)
		attributes.splice(key.length % (attributes.length + 1), 0, attribute(key, value));

	const data = Obj.of({
		total_amount: num(s.totalAmount),
		service_fee: num(s.serviceFee),
		amount: num(s.amount),
	});
	if (s.optional.voidable !== null) data.set("voidable", s.optional.voidable);
	if (s.optional.refundable !== null) data.set("refundable", s.optional.refundable);
	data.set("id", ID_BASE + n);
	if (s.optional.channel !== null) data.set("payment_source_channel", s.optional.channel);
	data.set("status", s.status);
	data.set("request_id", "not used");
	data.set("payment_type", "credit_card");
	data.set("agency", "Austin Transportation");
	data.set("credit_card", Obj.of({ last_four: "1111", card_type: "visa" }));
	data.set("bank_account", null);
	data.set("created_at", "2025-08-18T19:17:00Z");
	data.set("line_items", [
		Obj.of({
			id: "deea9dae-0121-49dc-be59-c3b40dccdb3d",
			amount: 600000,
			custom_attributes: Obj.of({ invoice_number: `FZ-${n}`, line_item_description: "Lamppost my big winter event" }),
		}),
	]);
	if (s.optional.associated) data.set("associated_payments", [Obj.of({ id: ID_BASE - n - 1, status: "voided" })]);
	data.set("custom_attributes", attributes);
	for (const [key, value] of s.extras) data.entries.push([key, value]);
	if (s.order) {
		const weights = s.order;
		data.entries = data.entries
			.map((entry, i) => ({ entry, w: weights[i % weights.length] ?? 0 }))
			.sort((a, b) => a.w - b.w)
			.map(({ entry }) => entry);
	}
	return { n, root: Obj.of({ data }), data, refund };
}

// ---------------------------------------------------------------- mutations

interface Mutation {
	kind: string;
	apply(doc: Doc): void;
}

const fieldName = fc.constantFrom(...[...dataKeys].filter((k) => k !== "id"));
const attributesOf = (doc: Doc): Json[] | null => {
	const list = doc.data.get("custom_attributes");
	return Array.isArray(list) ? list : null;
};
const attributeValue: fc.Arbitrary<(n: number) => Json> = fc.oneof(
	fc
		.constantFrom("", "STREET_BANNER", "SMART_MOBILITY", "LAMPPOST", "OVER_THE_STREET", "street_banner", "LAMPPOST ")
		.map((v) => () => v),
	text.map((v) => () => v),
	fc.constant((n: number) => `FZ-${n}-override`),
	fc.constant((n: number) => recordId("e5", n)),
	anyValue.map((v) => () => v),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.constantFrom(...dataKeys).map((f) => ({ kind: `missing ${f}`, apply: (d: Doc) => d.data.remove(f) })),
	fc.tuple(fieldName, anyValue).map(([f, v]) => ({ kind: `set ${f}`, apply: (d: Doc) => d.data.set(f, v) })),
	fieldName.map((f) => ({ kind: `null ${f}`, apply: (d: Doc) => d.data.set(f, null) })),
	fc
		.tuple(fc.constantFrom("amount", "total_amount", "service_fee"), numberText, fc.boolean())
		.map(([f, t, quoted]) => ({
			kind: quoted ? `number as string ${f}` : `number format ${f}`,
			apply: (d: Doc) => d.data.set(f, quoted ? t : num(t)),
		})),
	idValue.map((id) => ({ kind: "id", apply: (d: Doc) => d.data.set("id", id(d.n)) })),
	fc.tuple(idValue, fc.boolean()).map(([id, before]) => ({
		kind: `duplicated id ${before ? "before" : "after"}`,
		apply: (d: Doc) => d.data.duplicate("id", id(d.n), before),
	})),
	fc.tuple(fieldName, anyValue, fc.boolean()).map(([f, v, before]) => ({
		kind: `duplicated ${f} ${before ? "before" : "after"}`,
		apply: (d: Doc) => d.data.duplicate(f, v, before),
	})),
	fc.constantFrom(...dataKeys).map((f) => ({ kind: `escaped key ${f}`, apply: (d: Doc) => d.data.escapeKey(f) })),
	fc
		.tuple(fc.constantFrom("payment_type", "agency", "created_at", "payment_source_channel", "status"), text)
		.map(([f, v]) => ({ kind: `unicode ${f}`, apply: (d: Doc) => d.data.set(f, v) })),
	fc
		.tuple(fc.constantFrom("payment_type", "agency", "created_at", "status", "x_note"), badUtf8String)
		.map(([f, v]) => ({ kind: `invalid UTF-8 in ${f}`, apply: (d: Doc) => d.data.set(f, v) })),
	fc
		.tuple(fc.constantFrom("payment_type", "status", "x_blob"), fc.integer({ min: 1000, max: 60_000 }))
		.map(([f, size]) => ({ kind: `huge ${f}`, apply: (d: Doc) => d.data.set(f, "Ω".repeat(size)) })),
	fc.tuple(anyValue, fc.nat(3)).map(([v, at]) => ({
		kind: "line item",
		apply: (d: Doc) => {
			const items = d.data.get("line_items");
			if (Array.isArray(items)) items.splice(at, 0, v);
		},
	})),
	fc
		.array(fc.record({ id: fc.oneof(fc.integer().map(String).map(num), anyValue), status: fc.oneof(text, anyValue) }), {
			maxLength: 3,
		})
		.map((list) => ({
			kind: "associated payments",
			apply: (d: Doc) => d.data.set("associated_payments", list.map(Obj.of)),
		})),
	fc
		.tuple(extraKey, anyValue)
		.map(([k, v]) => ({ kind: "extra field", apply: (d: Doc) => d.data.entries.push([k, v]) })),
	deepValue.map((v) => ({ kind: `nested ${depthOf(v)} deep`, apply: (d: Doc) => d.data.set("x_deep", v) })),
	// custom attributes
	fc.constantFrom(...attributeKeys).map((key) => ({
		kind: `attribute missing ${key}`,
		apply: (d: Doc) => {
			const list = attributesOf(d);
			if (!list) return;
			const kept = list.filter((a) => !(a instanceof Obj && a.get("key") === key));
			list.splice(0, list.length, ...kept);
		},
	})),
	fc
		.tuple(fc.constantFrom(...attributeKeys), attributeValue, fc.constantFrom("set", "before", "after"))
		.map(([key, value, where]) => ({
			kind: `attribute ${where} ${key}`,
			apply: (d: Doc) => {
				const list = attributesOf(d);
				if (!list) return;
				let v = value(d.n);
				// Knack record ids go into URL paths, which the sandbox does not percent-decode.
				if (typeof v === "string" && v !== "" && (key === "knack_record_id" || key === "parent_record_id")) {
					v = recordId("e5", d.n);
				}
				const entry = Obj.of({ key, value: v });
				const at = list.findIndex((a) => a instanceof Obj && a.get("key") === key);
				if (where === "set" && at >= 0) list[at] = entry;
				else if (where === "before") list.splice(Math.max(0, at), 0, entry);
				else list.push(entry);
			},
		})),
	fc.tuple(fc.nat(6), anyValue).map(([at, v]) => ({
		kind: "attribute element",
		apply: (d: Doc) => attributesOf(d)?.splice(at, 0, v),
	})),
	fc.tuple(fc.nat(6), fc.constantFrom("key", "value"), fc.option(anyValue)).map(([at, part, v]) => ({
		kind: `attribute ${part} ${v === null ? "missing" : "replaced"}`,
		apply: (d: Doc) => {
			const list = attributesOf(d);
			const entry = list?.[at % Math.max(1, list.length)];
			if (!(entry instanceof Obj)) return;
			const names = ["knack_record_id", "parent_record_id"];
			const isRecordId = part === "value" && names.includes(meaningOf(entry.get("key")) as string);
			if (v === null) entry.remove(part);
			else
				entry.set(
					part,
					isRecordId && typeof meaningOf(v) === "string" && meaningOf(v) !== "" ? recordId("e5", d.n) : v,
				);
		},
	})),
	fc.integer({ min: 50, max: 1500 }).map((count) => ({
		kind: "many attributes",
		apply: (d: Doc) => {
			const list = attributesOf(d);
			list?.unshift(...Array.from({ length: count }, (_, i) => Obj.of({ key: `k${i}`, value: `v${i}` })));
		},
	})),
);

// ---------------------------------------------------------------- recipes

const contentType = fc.oneof(
	{ weight: 40, arbitrary: fc.constant<string | null>("application/json") },
	{
		weight: 3,
		arbitrary: fc.constantFrom<string | null>(
			"application/json; charset=utf-8",
			"Application/JSON",
			"application/vnd.citybase+json",
			null,
		),
	},
	{
		weight: 1,
		arbitrary: fc.constantFrom<string | null>(
			"text/plain",
			"application/x-www-form-urlencoded",
			"",
			"multipart/form-data; boundary=x",
			"application/jsonp",
			"json",
		),
	},
);

type Body = Pick<Recipe, "kind" | "build">;

const validBody: fc.Arbitrary<Body> = docSpec.map((s) => ({
	kind: "valid",
	build: (n: number) => {
		const { root, refund } = buildDoc(s, n);
		return { bytes: render(root, s.space), tree: root, refund };
	},
}));

const mutatedBody: fc.Arbitrary<Body> = fc
	.tuple(docSpec, fc.array(mutation, { minLength: 1, maxLength: 3 }))
	.map(([s, mutations]) => ({
		kind: mutations.map((m) => m.kind).join(" + "),
		build: (n: number) => {
			const doc = buildDoc(s, n);
			for (const m of mutations) m.apply(doc);
			return { bytes: render(doc.root, s.space), tree: doc.root, refund: doc.refund };
		},
	}));

const structuralBody: fc.Arbitrary<Body> = fc.oneof(
	fc.tuple(docSpec, anyValue).map(([s, v]) => ({
		kind: "data replaced",
		build: (n: number) => {
			const { root, refund } = buildDoc(s, n);
			root.set("data", v);
			return { bytes: render(root), tree: root, refund };
		},
	})),
	fc.tuple(docSpec, anyValue, fc.boolean()).map(([s, v, before]) => ({
		kind: `duplicated data ${before ? "before" : "after"}`,
		build: (n: number) => {
			const { root, refund } = buildDoc(s, n);
			root.duplicate("data", v, before);
			return { bytes: render(root), tree: root, refund };
		},
	})),
	fc.tuple(docSpec, extraKey, anyValue).map(([s, k, v]) => ({
		kind: "root extra field",
		build: (n: number) => {
			const { root, refund } = buildDoc(s, n);
			root.entries.unshift([k, v]);
			return { bytes: render(root), tree: root, refund };
		},
	})),
	fc.tuple(docSpec, fc.oneof(malformed, strayBytes), fieldName).map(([s, bad, f]) => ({
		kind: "not JSON",
		build: (n: number) => {
			const { root, data } = buildDoc(s, n);
			data.set(f, bad);
			return { bytes: render(root), tree: root };
		},
	})),
	anyValue.map((v) => ({
		kind: "root replaced",
		build: () => ({ bytes: render(v), tree: v }),
	})),
);

const malformedJson: Expectation = { status: 400, prefix: "Malformed JSON:", clauses: [] };
const emptyBody: Expectation = { status: 400, prefix: "Empty body:", clauses: [] };
const encoder = new TextEncoder();
const concat = (...parts: Uint8Array[]) => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
};

const rawBody: fc.Arbitrary<Body> = fc.oneof(
	fc.constantFrom("", " ", "\n\r\t ", "\u00a0", "\ufeff", "\u2028 ").map((t) => ({
		kind: "empty body",
		build: () => ({ bytes: encoder.encode(t), expect: emptyBody }),
	})),
	fc.uint8Array({ maxLength: 300 }).map((bytes) => ({
		kind: "random bytes",
		build: () => ({ bytes, expect: { status: 400, prefix: null, clauses: [] } as Expectation }),
	})),
	fc.string({ unit: "binary", maxLength: 200 }).map((t) => ({
		kind: "random text",
		build: () => ({
			bytes: encoder.encode(t),
			expect: { status: 400, prefix: null, clauses: [] } as Expectation,
		}),
	})),
	fc.tuple(docSpec, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, at]) => ({
		kind: "truncated",
		build: (n: number) => {
			const whole = render(buildDoc(s, n).root, s.space);
			const bytes = whole.slice(0, Math.floor(at * (whole.length - 1)));
			const blank = new TextDecoder().decode(bytes).trim() === "";
			return { bytes, expect: blank ? emptyBody : malformedJson };
		},
	})),
	fc.tuple(docSpec, fc.constantFrom("bom", "whitespace", "utf-16", "twice", "trailing")).map(([s, how]) => ({
		kind: `framing ${how}`,
		build: (n: number) => {
			const { root, refund } = buildDoc(s, n);
			const bytes = render(root, s.space);
			switch (how) {
				case "bom":
					return { bytes: concat(new Uint8Array([0xef, 0xbb, 0xbf]), bytes), tree: root, refund };
				case "whitespace":
					return { bytes: concat(encoder.encode(" \r\n\t"), bytes, encoder.encode("\n\n")), tree: root, refund };
				case "utf-16": {
					const text = new TextDecoder().decode(bytes);
					const utf16 = new Uint8Array(text.length * 2);
					for (let i = 0; i < text.length; i++) {
						const unit = text.charCodeAt(i);
						utf16[2 * i] = unit & 0xff;
						utf16[2 * i + 1] = unit >> 8;
					}
					return { bytes: utf16, expect: malformedJson };
				}
				case "twice":
					return { bytes: concat(bytes, bytes), expect: malformedJson };
				default:
					return { bytes: concat(bytes, encoder.encode(" x")), expect: malformedJson };
			}
		},
	})),
	fc
		.tuple(fc.integer({ min: MAX_NESTING + 1, max: 200_000 }), fc.constantFrom("[", "{", '{"a":['))
		.map(([depth, open]) => ({
			kind: "unclosed brackets",
			build: () => ({ bytes: encoder.encode(open.repeat(depth)), expect: malformedJson }),
		})),
);

/** Bodies near the size limit, either side of it. */
const sizedBody: fc.Arbitrary<Body> = fc
	.tuple(
		docSpec,
		fc.oneof(
			fc.integer({ min: MAX_BODY - 4096, max: MAX_BODY }),
			fc.integer({ min: MAX_BODY + 1, max: 2 * MAX_BODY }),
			fc.constantFrom(MAX_BODY, MAX_BODY + 1),
		),
	)
	.map(([s, size]) => ({
		kind: size > MAX_BODY ? "over the size limit" : "near the size limit",
		build: (n: number) => {
			const { root, data, refund } = buildDoc({ ...s, space: "" }, n);
			data.set("x_padding", "");
			const bare = render(root).length;
			data.set("x_padding", "p".repeat(Math.max(0, size - bare)));
			return { bytes: render(root), tree: root, refund };
		},
	}));

export const recipe: fc.Arbitrary<Recipe> = fc
	.tuple(
		fc.oneof(
			{ weight: 30, arbitrary: validBody },
			{ weight: 40, arbitrary: mutatedBody },
			{ weight: 12, arbitrary: structuralBody },
			{ weight: 10, arbitrary: rawBody },
			{ weight: 3, arbitrary: sizedBody },
		),
		contentType,
		fc.nat(49),
	)
	.map(([body, type, dice]) => ({ ...body, contentType: type, chunked: dice === 0 }));

// ---------------------------------------------------------------- edges

/**
 * Cases run once in every run, whatever the seed: the boundaries random draws would
 * rarely land on, each with the exact answer it must get.
 */
export function edgeRecipes(): Recipe[] {
	const base: DocSpec = {
		app: "STREET_BANNER",
		writeApp: true,
		status: "voided",
		banner: "LAMPPOST",
		parent: false,
		invoiceSuffix: "",
		totalAmount: "6000.0",
		amount: "6000.0",
		serviceFee: "0.55",
		optional: { voidable: true, refundable: false, channel: "web", associated: true },
		extras: [],
		extraAttributes: [],
		space: "",
		order: null,
		refund: { customerName: "Chia B", eventName: "E", type: "Lamppost", subDescription: "S", lpb: true, ots: "id" },
	};
	const edge = (
		kind: string,
		change: (doc: Doc) => void,
		answer?: string,
		spec: Partial<DocSpec> = {},
		contentType: string | null = "application/json",
	): Recipe => ({
		kind: `edge: ${kind}`,
		contentType,
		chunked: false,
		build: (n: number) => {
			const doc = buildDoc({ ...base, ...spec }, n);
			change(doc);
			return { bytes: render(doc.root), tree: doc.root, answer, refund: doc.refund };
		},
	});
	const raw = (kind: string, bytes: Uint8Array, expect: Expectation, answer?: string, chunked = false): Recipe => ({
		kind: `edge: ${kind}`,
		contentType: "application/json",
		chunked,
		build: () => ({ bytes, expect, answer }),
	});
	const setId = (v: Json) => (d: Doc) => d.data.set("id", v);
	const atMost = "Validation error: data.id must be at most 9007199254740991";
	const deep = (depth: number) => (d: Doc) => d.data.set("x_deep", nested(depth, 1, false));
	return [
		edge("id 2^53 - 1, the largest accepted", setId(num("9007199254740991")), "Payment status updated"),
		edge("id 2^53", setId(num("9007199254740992")), atMost),
		edge("id 2^53 + 1 (reads as 2^53)", setId(num("9007199254740993")), atMost),
		edge("id 2^54 + 1", setId(num("18014398509481985")), atMost),
		edge("id 1e400", setId(num("1e400")), "Validation error: data.id must be integer"),
		edge("id -0 (the integer 0)", setId(num("-0")), "Payment status updated"),
		edge("id -1", setId(num("-1")), "Validation error: data.id must be at least 0"),
		edge("id as a string", (d) => d.data.set("id", String(ID_BASE + d.n)), "Validation error: data.id must be integer"),
		edge("id 1.5", setId(num("1.5")), "Validation error: data.id must be integer"),
		edge('amount "NaN"', (d) => d.data.set("amount", "NaN"), "Validation error: data.amount must be number"),
		edge("amount -5", (d) => d.data.set("amount", num("-5")), "Payment status updated"),
		edge(
			"total_amount 400 digits (Infinity to JavaScript)",
			(d) => d.data.set("total_amount", num("9".repeat(400))),
			"Validation error: data.total_amount must be number",
		),
		edge("refund of total_amount 1e16", () => {}, "Payment status updated", {
			status: "refunded",
			totalAmount: "1e16",
		}),
		edge("refund of total_amount 0.00001", () => {}, "Payment status updated", {
			status: "refunded",
			totalAmount: "0.00001",
		}),
		edge("refund of total_amount 300 digits", () => {}, "Payment status updated", {
			status: "refunded",
			totalAmount: "7".repeat(300),
		}),
		edge("refund of total_amount -0.0", () => {}, "Payment status updated", {
			status: "refunded",
			totalAmount: "-0.0",
		}),
		edge(`nesting at the bound (${MAX_NESTING})`, deep(MAX_NESTING - 2), "Payment status updated"),
		edge(`nesting one past the bound (${MAX_NESTING + 1})`, deep(MAX_NESTING - 1)),
		edge("10,000 levels of [ in an extra field", (d) => d.data.set("x_deep", deepRaw(10_000, false))),
		edge(
			"status \\u0073uccessful, escaped",
			(d) => d.data.set("status", new Raw('"\\u0073uccessful"', { value: "successful" })),
			"Payment status updated",
			{ parent: true },
		),
		edge("key \\u0069d, escaped", (d) => d.data.escapeKey("id"), "Payment status updated"),
		edge(
			"status with NUL",
			(d) => d.data.set("status", "voided\u0000"),
			'Payment status "voided\u0000" recorded as a message; no transaction or reservation was changed',
		),
		edge(
			"lone surrogate invoice",
			(d) => attributesOf(d)?.push(Obj.of({ key: "invoice_number", value: `FZ-${d.n}-\ud800` })),
			"Payment status updated",
		),
		edge(
			"attribute hasOwnProperty",
			(d) => attributesOf(d)?.push(Obj.of({ key: "hasOwnProperty", value: "x" })),
			"Payment status updated",
		),
		edge(
			"attribute __proto__",
			(d) => attributesOf(d)?.push(Obj.of({ key: "__proto__", value: "x" })),
			"Payment status updated",
		),
		edge(
			"attribute constructor",
			(d) => attributesOf(d)?.push(Obj.of({ key: "constructor", value: "x" })),
			"Payment status updated",
		),
		edge("data __proto__", (d) => d.data.entries.push(["__proto__", Obj.of({ id: "x" })]), "Payment status updated"),
		edge(
			"root __proto__ only",
			(d) => {
				d.root.entries = [["__proto__", Obj.of({ data: d.data })]];
			},
			"Validation error: data is required",
		),
		edge("data twice, valid last", (d) => d.root.duplicate("data", "x", true), "Payment status updated"),
		edge(
			"data twice, valid first",
			(d) => d.root.duplicate("data", "x", false),
			"Validation error: data must be object",
		),
		edge(
			"later knack_app wins",
			(d) => {
				attributesOf(d)?.unshift(Obj.of({ key: "knack_app", value: "PARKING" }));
			},
			"Payment status updated",
		),
		edge(
			"knack_app lowercase",
			(d) => attributesOf(d)?.push(Obj.of({ key: "knack_app", value: "street_banner" })),
			"Malformed custom attributes: knack_app must be one of STREET_BANNER, SMART_MOBILITY",
		),
		edge(
			"successful without parent",
			() => {},
			"Malformed custom attributes: parent_record_id is required when status is successful (the reservation is updated)",
			{ status: "successful" },
		),
		edge(
			"5,000 custom attributes",
			(d) => {
				for (let i = 0; i < 5000; i++) attributesOf(d)?.unshift(Obj.of({ key: `k${i}`, value: `v${i}` }));
			},
			"Payment status updated",
		),
		edge("empty content type", () => {}, undefined, {}, ""),
		edge("no content type", () => {}, "Payment status updated", {}, null),
		edge("text/plain", () => {}, undefined, {}, "text/plain"),
		raw("10,000 [", encoder.encode("[".repeat(10_000)), malformedJson),
		raw("NaN body", encoder.encode("NaN"), malformedJson),
		raw(
			"null body",
			encoder.encode("null"),
			{ status: 400, prefix: "Validation error:", clauses: [] },
			"Validation error: body must be a JSON object with a data object",
		),
		raw("BOM only", new Uint8Array([0xef, 0xbb, 0xbf]), emptyBody),
		raw("one byte 0xff", new Uint8Array([0xff]), malformedJson),
		raw("1 MiB chunked", new Uint8Array(1024 * 1024).fill(0x20), { status: 413 }, undefined, true),
		edge(
			"body exactly at the limit",
			(d) => {
				d.data.set("x_padding", "");
				d.data.set("x_padding", "p".repeat(MAX_BODY - render(d.root).length));
			},
			"Payment status updated",
		),
		edge("body one byte over the limit", (d) => {
			d.data.set("x_padding", "");
			d.data.set("x_padding", "p".repeat(MAX_BODY + 1 - render(d.root).length));
		}),
	];
}

import { describe, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { parseDelivery } from "../../src/events/payload.ts";
import { AcceptedData } from "../../src/events/types.ts";
import { cardAndBankFields, cardAndBankValues, examples } from "./examples.ts";

/**
 * The normalised payment of `delivery.accepted` stays in clear when bodies are encrypted,
 * because replay, rebuild and verify need it after a key is retired. So it must never
 * carry what encryption (and retiring a key) is there to hide.
 */

/** Name fragments of card and bank data, compared without case, `_` or `-`. */
const forbiddenFragments = [
	"card",
	"bank",
	"routing",
	"account",
	"holder",
	"lastfour",
	"checknumber",
	"cvv",
	"cvc",
	"expir",
	"iban",
	"swift",
];

/** Every property name in a TypeBox schema, at any depth. */
function propertyNames(schema: TSchema): string[] {
	const nested = [
		...Object.values((schema.properties ?? {}) as Record<string, TSchema>),
		...((schema.anyOf ?? []) as TSchema[]),
		...(schema.items ? [schema.items as TSchema] : []),
	];
	return [...Object.keys(schema.properties ?? {}), ...nested.flatMap(propertyNames)];
}

const forbidden = (name: string) => {
	const plain = name.toLowerCase().replace(/[_-]/g, "");
	return forbiddenFragments.filter((fragment) => plain.includes(fragment));
};

/** Each example as received, and again with every card and bank field filled with values of its own. */
function bodies(): { name: string; body: Record<string, unknown> }[] {
	return examples.flatMap(({ name, text }) => {
		const body = JSON.parse(text) as { data: Record<string, unknown> };
		const filled = structuredClone(body);
		Object.assign(filled.data, {
			credit_card: { last_four: "4929", card_type: "discover-card-type", exp_month: "07", exp_year: "2031" },
			bank_account: {
				account_number_last_four: "8642",
				routing_number: "314074269",
				bank_account_type: "savings-account-type",
				account_holder_name: "Holder Of The Account",
			},
			check_number: "77123",
		});
		return [
			{ name, body },
			{ name: `${name}, every card and bank field filled`, body: filled },
		];
	});
}

describe("the payment kept in clear holds no card or bank data", () => {
	test("no property of delivery.accepted's schema is named like card or bank data", () => {
		const names = propertyNames(AcceptedData);
		expect(names).toContain("payment");
		expect(names).toContain("knackRecordId");
		expect(names.filter((n) => forbidden(n).length > 0)).toEqual([]);
	});

	test("the name check would catch the fields CityBase sends", () => {
		const sent = [
			"credit_card",
			"last_four",
			"card_type",
			"routing_number",
			"account_holder_name",
			...cardAndBankFields,
		];
		expect(sent.filter((n) => forbidden(n).length === 0)).toEqual([]);
	});

	for (const { name, body } of bodies()) {
		test(`${name}: no card or bank value reaches the payment`, () => {
			const verdict = parseDelivery(new TextEncoder().encode(JSON.stringify(body)));
			if (!verdict.accepted) throw new Error(verdict.reason);
			const payment = verdict.payment;
			// Only the schema's fields: a field added in normalisation alone would dodge the name check.
			expect(Object.keys(payment).sort()).toEqual(Object.keys(AcceptedData.properties.payment.properties).sort());
			const stored = JSON.stringify({ payment });
			const values = cardAndBankValues(body);
			expect(values.length).toBeGreaterThan(0);
			for (const value of values) expect(stored).not.toContain(value);
		});
	}
});

import { describe, expect, test } from "bun:test";
import { bodyForDisplay } from "../../src/events/bodyDisplay.ts";
import { cardAndBankValues, examples } from "./examples.ts";

const opened = (text: string) => ({ state: "plain" as const, bytes: new TextEncoder().encode(text) });

describe("a body shown to an operator", () => {
	for (const { name, text } of examples) {
		test(`${name}: no card or bank value unless revealed`, () => {
			const values = cardAndBankValues(JSON.parse(text));
			expect(values.length).toBeGreaterThan(0);
			const masked = bodyForDisplay(opened(text), { reveal: false });
			for (const value of values) expect(masked).not.toContain(value);
			expect(masked).toContain('"[REDACTED]"');
			const revealed = bodyForDisplay(opened(text), { reveal: true });
			for (const value of values) expect(revealed).toContain(value);
			expect(JSON.parse(revealed)).toEqual(JSON.parse(text));
		});
	}

	test("every detail the examples carry is masked: card, bank account and check number", () => {
		const body = JSON.parse(examples[0]?.text ?? "");
		Object.assign(body.data, {
			credit_card: { last_four: "4242", card_type: "amex" },
			bank_account: {
				account_number_last_four: "9876",
				routing_number: "111000025",
				bank_account_type: "savings",
				account_holder_name: "Resident Name",
			},
			check_number: "004417",
		});
		const masked = bodyForDisplay(opened(JSON.stringify(body)), { reveal: false });
		for (const value of ["4242", "amex", "9876", "111000025", "savings", "Resident Name", "004417"]) {
			expect(masked).not.toContain(value);
		}
		expect(JSON.parse(masked).data.payment_type).toBe("check");
	});

	test("a body that is not JSON is masked too", () => {
		const cut = '{"data": {"id": 1, "bank_account": {"routing_number": "111000025", "account_ho';
		expect(bodyForDisplay(opened(cut), { reveal: false })).not.toContain("111000025");
		expect(bodyForDisplay(opened(cut), { reveal: true })).toBe(cut);
	});

	test("a decrypted body is shown like a plain one", () => {
		const text = examples[1]?.text ?? "";
		const decrypted = { state: "decrypted" as const, keyId: "k1", bytes: new TextEncoder().encode(text) };
		expect(bodyForDisplay(decrypted, { reveal: false })).toBe(bodyForDisplay(opened(text), { reveal: false }));
	});

	test("an unreadable body says why, naming the key", () => {
		const unreadable = {
			state: "unreadable" as const,
			keyId: "k2024",
			reason: "key k2024 is not in EVENT_LOG_KEYS (retired)",
		};
		expect(bodyForDisplay(unreadable, { reveal: true })).toBe(
			"(unreadable: key k2024 is not in EVENT_LOG_KEYS (retired))",
		);
	});
});

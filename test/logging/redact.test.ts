import { describe, expect, test } from "bun:test";
import { createLogger, memorySink } from "../../src/logging/logger.ts";
import { REDACTED, redactPayloadText } from "../../src/logging/redact.ts";

const KNACK_KEY = "knack-api-key-5f2c9e";
const QUOTED_SECRET = 'pa"ss\\word';
const URL_SECRET = "tok en/+=";

function logged(secrets: string[] = [KNACK_KEY, QUOTED_SECRET, URL_SECRET]) {
	const sink = memorySink();
	const logger = createLogger({ sinks: [sink], secrets, clock: () => 0 });
	return { sink, logger };
}

// Cut down from CityBase postbacks, laid out as CityBase sends them.
const bankPayload = `{
  "data": {
    "id": 70020064,
    "status": "successful",
    "payment_type": "check",
    "credit_card": null,
    "bank_account": {
      "account_number_last_four": "1234",
      "routing_number": "00000000",
      "bank_account_type": "checking",
      "account_holder_name": "fake person today"
    },
    "check_number": null
  }
}`;
const cardPayload = `{
  "data": {
    "id": 70022195,
    "status": "refunded",
    "payment_type": "credit_card",
    "credit_card": {
      "last_four": "1111",
      "card_type": "visa"
    },
    "bank_account": null
  }
}`;

describe("secrets given to the logger", () => {
	test("are masked in the message and in context values at any depth", () => {
		const { sink, logger } = logged();
		logger.info(`calling Knack with ${KNACK_KEY}`, {
			url: `https://api.knack.com/v1/objects?key=${encodeURIComponent(URL_SECRET)}`,
			nested: { deeper: [{ note: `was ${QUOTED_SECRET}` }] },
			error: new Error(`401 for key ${KNACK_KEY}`),
		});
		logger.child({ header: `Bearer ${URL_SECRET}` }).warn("child");

		expect(sink.lines).toHaveLength(2);
		for (const line of sink.lines) {
			for (const secret of [KNACK_KEY, QUOTED_SECRET, URL_SECRET, JSON.stringify(QUOTED_SECRET).slice(1, -1)]) {
				expect(line).not.toContain(secret);
			}
			expect(line).not.toContain(encodeURIComponent(URL_SECRET));
		}
		const first = JSON.parse(sink.lines[0] ?? "");
		expect(first.message).toBe(`calling Knack with ${REDACTED}`);
		expect(first.nested.deeper[0].note).toBe(`was ${REDACTED}`);
		expect(first.error.message).toBe(`401 for key ${REDACTED}`);
	});

	test("a secret that contains another is masked whole", () => {
		const { sink, logger } = logged(["abc", "abcdef"]);
		logger.info("abcdef and abc");
		expect(JSON.parse(sink.lines[0] ?? "").message).toBe(`${REDACTED} and ${REDACTED}`);
	});

	test("empty secrets (an unset variable) mask nothing", () => {
		const { sink, logger } = logged(["", "  "]);
		logger.info("plain text");
		expect(JSON.parse(sink.lines[0] ?? "").message).toBe("plain text");
	});
});

describe("sensitive keys", () => {
	test("secret-looking keys are masked whatever their case, at any depth", () => {
		const { sink, logger } = logged([]);
		logger.info("request", {
			headers: { Authorization: "Bearer abc", "X-Knack-REST-API-Key": "k1", "content-type": "json" },
			config: { apiKey: "k2", api_key: "k3", knack_api_key: "k4", password: "p", SECRET: "s", adminToken: "t" },
			list: [{ token: "t2" }],
		});
		const line = JSON.parse(sink.lines[0] ?? "");
		expect(line.headers).toEqual({ Authorization: REDACTED, "X-Knack-REST-API-Key": REDACTED, "content-type": "json" });
		expect(Object.values(line.config)).toEqual(Array(6).fill(REDACTED));
		expect(line.list[0].token).toBe(REDACTED);
	});

	test("a sensitive key found only inside an array is masked", () => {
		const { sink, logger } = logged([]);
		logger.info("list", { items: [{ id: 1 }, { password: "hunter2" }] });
		expect(JSON.parse(sink.lines[0] ?? "").items).toEqual([{ id: 1 }, { password: REDACTED }]);
	});

	test("card and bank details are masked at any depth; a null one stays null", () => {
		const { sink, logger } = logged([]);
		logger.info("payment", { payload: JSON.parse(bankPayload) });
		logger.info("payment", { payload: JSON.parse(cardPayload) });

		const [bank, card] = sink.lines.map((l) => JSON.parse(l).payload.data);
		expect(bank.bank_account).toBe(REDACTED);
		expect(bank.credit_card).toBeNull();
		expect(card.credit_card).toBe(REDACTED);
		expect(card.bank_account).toBeNull();
		expect(card.payment_type).toBe("credit_card");
		expect(card.id).toBe(70022195);
		for (const detail of ["account_number_last_four", "routing_number", "last_four", "1111", "fake person"]) {
			expect(sink.lines.join("\n")).not.toContain(detail);
		}
	});
});

describe("the logger never throws at its caller", () => {
	test("a context that cannot be serialized still gives a line", () => {
		const { sink, logger } = logged([]);
		const cycle: Record<string, unknown> = {};
		cycle.self = cycle;
		expect(() => logger.error("with a cycle", { cycle, big: 1n })).not.toThrow();
		const line = JSON.parse(sink.lines[0] ?? "");
		expect(line.message).toBe("with a cycle");
		expect(line.log_error).toContain("not serializable");
	});

	test("a sink that throws loses its line, not the other sinks' nor the caller's", () => {
		const kept = memorySink();
		const logger = createLogger({
			sinks: [
				{
					write() {
						throw new Error("broken sink");
					},
				},
				kept,
			],
		});
		expect(() => logger.info("still here")).not.toThrow();
		expect(kept.lines).toHaveLength(1);
	});
});

describe("redactPayloadText", () => {
	test("masks card and bank objects and leaves every other byte as received", () => {
		const redacted = redactPayloadText(bankPayload);
		expect(redacted).not.toContain("routing_number");
		expect(redacted).not.toContain("fake person today");
		const expected = JSON.parse(bankPayload);
		expected.data.bank_account = REDACTED;
		expect(JSON.parse(redacted)).toEqual(expected);
		expect(redacted).toBe(bankPayload.replace(/\{\s*"account_number_last_four"[^}]*\}/, `"${REDACTED}"`));
	});

	test("keeps a null detail and a value that merely mentions the key", () => {
		const redacted = redactPayloadText(cardPayload);
		const parsed = JSON.parse(redacted);
		expect(parsed.data.credit_card).toBe(REDACTED);
		expect(parsed.data.bank_account).toBeNull();
		expect(parsed.data.payment_type).toBe("credit_card");
		expect(redacted).not.toContain("1111");
	});

	test("masks details at any depth, scalar and array values, and strings holding braces", () => {
		const raw = '{"a":{"credit_card":"4111 1111","b":[{"bank_account":[1,{"x":"}"}]}]},"note":"credit_card: {"}';
		expect(JSON.parse(redactPayloadText(raw))).toEqual({
			a: { credit_card: REDACTED, b: [{ bank_account: REDACTED }] },
			note: "credit_card: {",
		});
	});

	test("works on a body that is not valid JSON, masking a cut-off detail to the end", () => {
		const truncated = '{"data": {"id": 1, "credit_card": {"last_four": "1111", "card_ty';
		expect(redactPayloadText(truncated)).toBe(`{"data": {"id": 1, "credit_card": "${REDACTED}"`);
	});

	test("masks a check number (a bank detail: it is printed beside the routing and account numbers)", () => {
		const raw = bankPayload.replace('"check_number": null', '"check_number": "004417"');
		expect(JSON.parse(redactPayloadText(raw)).data.check_number).toBe(REDACTED);
		expect(redactPayloadText(bankPayload)).toContain('"check_number": null');
		const { sink, logger } = logged([]);
		logger.info("payment", { payload: JSON.parse(raw) });
		expect(sink.lines.join("\n")).not.toContain("004417");
	});

	test("returns a body without details unchanged", () => {
		const raw = '{"data": {"id": 1}}';
		expect(redactPayloadText(raw)).toBe(raw);
	});
});

import { describe, expect, test } from "bun:test";
import packageJson from "../package.json";
import { ConfigError, loadConfig } from "../src/config.ts";
import { pythonNumberText } from "../src/events/payload.ts";
import { knackDate } from "../src/projections/knack/date.ts";
import { storeSuites } from "./support/storeSuites.ts";

describe("knackDate: MM/DD/YYYY HH:mm, 24-hour, America/Chicago whatever the host TZ", () => {
	for (const [utc, chicago] of [
		["2025-08-18T19:17:09Z", "08/18/2025 14:17"], // CDT, UTC-5
		["2025-01-05T03:04:00Z", "01/04/2025 21:04"], // CST, UTC-6, the day before
		["2025-03-09T07:59:00Z", "03/09/2025 01:59"], // just before spring forward
		["2025-03-09T08:00:00Z", "03/09/2025 03:00"], // just after
		["2025-11-02T06:30:00Z", "11/02/2025 01:30"], // first 01:30 (CDT)
		["2025-11-02T07:30:00Z", "11/02/2025 01:30"], // second 01:30 (CST)
		["2025-06-01T05:00:00Z", "06/01/2025 00:00"], // midnight is 00, not 24
	] as const) {
		test(`${utc} → ${chicago}`, () => {
			expect(knackDate(Date.parse(utc))).toBe(chicago);
		});
	}
});

describe("pythonNumberText: the amount as the Flask service's str() wrote it", () => {
	for (const [source, expected] of [
		["6000.0", "6000.0"],
		["6000", "6000"],
		["50.55", "50.55"],
		["1.50", "1.5"],
		["1e3", "1000.0"],
		["0.1", "0.1"],
		["1e16", "1e+16"],
		["0.00001", "1e-05"],
		["-0.0", "-0.0"],
	] as const) {
		test(`${source} → ${expected}`, () => {
			expect(pythonNumberText(source, Number(source))).toBe(expected);
		});
	}
});

/** A 32-byte EVENT_LOG_KEYS key as `openssl rand -base64 32` prints one, of fixed bytes. */
const eventKey = (fill: number, bytes = 32) => Buffer.alloc(bytes, fill).toString("base64");

describe("configuration", () => {
	const creds = {
		KNACK_STREET_BANNER_APP_ID: "a",
		KNACK_STREET_BANNER_API_KEY: "secret-key-1",
		KNACK_SMART_MOBILITY_APP_ID: "b",
		KNACK_SMART_MOBILITY_API_KEY: "secret-key-2",
	};
	const fails = (env: Record<string, string>, message: string) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	};

	test("defaults (docs/design.md §7)", () => {
		const c = loadConfig({});
		expect(c.environment).toBe("development");
		expect(c.host).toBe("0.0.0.0");
		expect(c.port).toBe(5000);
		expect(c.databasePath).toBe("./data/citybase.sqlite");
		expect(c.knack.apiUrl).toBe("https://api.knack.com/v1");
		expect(c.knack.credentials).toBeNull();
		expect(c.knack.rateLimitPerSecond).toBe(10);
		expect(c.postback.deadlineMs).toBe(20_000);
		expect(c.postback.claimLeaseMs).toBe(30_000);
		expect(c.adminToken).toBeNull();
	});

	test("FLASK_ENV is the fallback for CITYBASE_ENV", () => {
		expect(loadConfig({ FLASK_ENV: "staging", ...creds }).environment).toBe("staging");
		expect(loadConfig({ FLASK_ENV: "staging", CITYBASE_ENV: "uat", ...creds }).environment).toBe("uat");
	});

	test("one clear line per bad variable, never the secret", () => {
		fails({ CITYBASE_ENV: "prod" }, "CITYBASE_ENV must be one of development, staging, uat, production");
		fails({ FLASK_ENV: "test" }, "FLASK_ENV must be one of");
		fails({ PORT: "http" }, "PORT must be an integer port");
		fails({ KNACK_RATE_LIMIT: "-1" }, "KNACK_RATE_LIMIT must be a positive number");
		fails({ KNACK_API_URL: "ftp://x" }, "KNACK_API_URL must be an http(s) URL");
		fails({ CITYBASE_ENV: "uat" }, "KNACK_STREET_BANNER_APP_ID");
		fails({ ...creds, KNACK_SMART_MOBILITY_API_KEY: "" }, "KNACK_SMART_MOBILITY_API_KEY must be set");
		fails({ CITYBASE_ENV: "production", ...creds }, "POSTBACK_TOKENS must be set in production");
		fails(
			{ CLAIM_LEASE_SECONDS: "5", POSTBACK_DEADLINE_SECONDS: "10" },
			"CLAIM_LEASE_SECONDS must be longer than POSTBACK_DEADLINE_SECONDS",
		);
		// A secret pasted into the wrong variable must be refused without being echoed back.
		const misplaced = { ...creds, PORT: "secret-key-1" };
		fails(misplaced, "PORT must be an integer port");
		expect(() => loadConfig(misplaced)).not.toThrow("secret-key-1");
	});

	test("production runs open only when told so explicitly", () => {
		const clear = { EVENT_LOG_ENCRYPTION: "none" };
		expect(loadConfig({ CITYBASE_ENV: "production", POSTBACK_AUTH: "none", ...clear, ...creds }).environment).toBe(
			"production",
		);
		expect(
			loadConfig({ CITYBASE_ENV: "production", POSTBACK_TOKENS: "t1, t2", ...clear, ...creds }).postback.tokens,
		).toEqual(["t1", "t2"]);
	});

	test("every secret is known to the logger's redaction", () => {
		const c = loadConfig({
			...creds,
			POSTBACK_TOKENS: "tok",
			ADMIN_TOKEN: "adm",
			AWS_SECRET_ACCESS_KEY: "aws",
			EVENT_LOG_KEYS: `new:${eventKey(1)},old:${eventKey(2)}`,
		});
		expect(c.secrets.sort()).toEqual(
			["adm", "aws", "secret-key-1", "secret-key-2", "tok", eventKey(1), eventKey(2)].sort(),
		);
	});

	describe("EVENT_LOG_KEYS and EVENT_LOG_ENCRYPTION", () => {
		const production = { CITYBASE_ENV: "production", POSTBACK_AUTH: "none", ...creds };

		test("unset: bodies in clear outside production", () => {
			expect(loadConfig({}).eventLogKeys).toBeNull();
			expect(loadConfig({ CITYBASE_ENV: "staging", ...creds }).eventLogKeys).toBeNull();
		});

		test("production refuses to start without keys unless EVENT_LOG_ENCRYPTION=none", () => {
			fails(
				production,
				"EVENT_LOG_KEYS must be set in production (or EVENT_LOG_ENCRYPTION=none to store delivery bodies in clear on purpose)",
			);
			expect(loadConfig({ ...production, EVENT_LOG_ENCRYPTION: "none" }).eventLogKeys).toBeNull();
			const keys = loadConfig({ ...production, EVENT_LOG_KEYS: `k2:${eventKey(2)}, k1:${eventKey(1)}` }).eventLogKeys;
			expect(keys?.keys.map((k) => k.id)).toEqual(["k2", "k1"]);
		});

		test("one clear line per bad value, never the key", () => {
			fails({ EVENT_LOG_ENCRYPTION: "off" }, "EVENT_LOG_ENCRYPTION must be unset or none");
			fails(
				{ EVENT_LOG_ENCRYPTION: "none", EVENT_LOG_KEYS: `k1:${eventKey(1)}` },
				"EVENT_LOG_ENCRYPTION=none contradicts EVENT_LOG_KEYS: unset one of them",
			);
			fails({ EVENT_LOG_KEYS: eventKey(1) }, "EVENT_LOG_KEYS: entry 1 must be keyid:base64");
			fails({ EVENT_LOG_KEYS: "k1:not base64!" }, "EVENT_LOG_KEYS: key k1 is not valid base64");
			fails({ EVENT_LOG_KEYS: `k1:${eventKey(1, 16)}` }, "EVENT_LOG_KEYS: key k1 is 16 bytes; it must be 32");
			fails({ EVENT_LOG_KEYS: `k1:${eventKey(1)},k1:${eventKey(2)}` }, "EVENT_LOG_KEYS: key id k1 is listed twice");
			fails({ EVENT_LOG_KEYS: `k 1:${eventKey(1)}` }, "EVENT_LOG_KEYS: entry 1: a key id is 1 to 32 of the characters");
			for (const value of [eventKey(1), `${eventKey(1)}:k1`, `k1:${eventKey(1, 16)}`]) {
				try {
					loadConfig({ EVENT_LOG_KEYS: value });
				} catch (error) {
					expect((error as Error).message).not.toContain(eventKey(1).slice(0, 12));
					expect((error as Error).message).not.toContain(eventKey(1, 16).slice(0, 12));
				}
			}
		});
	});

	describe("DATABASE_URL", () => {
		test("unset: SQLite; postgres:// or postgresql://: PostgreSQL, its URL and password redacted", () => {
			expect(loadConfig({}).databaseUrl).toBeNull();
			for (const scheme of ["postgres", "postgresql"]) {
				const url = `${scheme}://citybase:s%40cret@db.internal:5432/citybase`;
				const c = loadConfig({ DATABASE_URL: url });
				expect(c.databaseUrl).toBe(url);
				expect(c.secrets).toContain(url);
				expect(c.secrets).toContain("s@cret");
			}
			expect(loadConfig({ DATABASE_URL: "postgres://db.internal/citybase" }).secrets).toEqual([]);
		});

		test("one clear line for a bad value, never the value", () => {
			for (const value of ["mysql://u:hunter2@db/x", "hunter2", "postgres://:hunter2@/x"]) {
				fails({ DATABASE_URL: value }, "DATABASE_URL must be a postgres:// or postgresql:// URL with a host");
				expect(() => loadConfig({ DATABASE_URL: value })).not.toThrow("hunter2");
			}
		});
	});
});

describe("test:postgres finds its suites", () => {
	test("every test file over the test store, through the harness or not, and no other", () => {
		const suites = storeSuites();
		for (const file of [
			"shutdown.test.ts",
			"encryption/rotation.test.ts",
			"executable.test.ts",
			"cli/inspect.test.ts",
		]) {
			expect(suites).toContain(`./test/${file}`);
		}
		expect(suites).not.toContain("./test/unit.test.ts");
		expect(suites).not.toContain("./test/storage/postgres.contract.test.ts");
		expect(packageJson.scripts["test:postgres"]).toContain("test/support/storeSuites.ts");
	});
});

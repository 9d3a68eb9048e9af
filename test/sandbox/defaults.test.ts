import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionSchema, defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { developmentSandbox } from "../../src/sandbox/embedded.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import smartMobilityExample from "../fixtures/smart-mobility-block-party-successful.json";
import streetBannerExample from "../fixtures/street-banner-lamppost-refunded.json";
import { spawnListening } from "../support/process.ts";

const SB = sandboxCredentials.STREET_BANNER;
const SM = sandboxCredentials.SMART_MOBILITY;

/** docs/design.md §4: the fields a refund copies from the original transaction, per field map. */
const refundCopy = {
	UAT: {
		customer_name: "field_3334",
		event_name: "field_3348",
		type: "field_3337",
		sub_description: "field_3349",
		lpb: "field_3326",
		ots: "field_3327",
	},
	PRODUCTION: {
		customer_name: "field_3334",
		event_name: "field_3336",
		type: "field_3333",
		sub_description: "field_3351",
		lpb: "field_3328",
		ots: "field_3329",
	},
};

function attribute(example: { data: { custom_attributes: { key: string; value: string }[] } }, key: string): string {
	return example.data.custom_attributes.find((a) => a.key === key)?.value as string;
}

async function get(sandbox: KnackSandbox, credentials: typeof SB, path: string): Promise<Response> {
	return fetch(`${sandbox.url}${path}`, {
		headers: { "x-knack-application-id": credentials.appId, "x-knack-rest-api-key": credentials.apiKey },
	});
}

async function post(sandbox: KnackSandbox, path: string, body: unknown): Promise<Response> {
	return fetch(`${sandbox.url}${path}`, {
		method: "POST",
		headers: {
			"x-knack-application-id": SB.appId,
			"x-knack-rest-api-key": SB.apiKey,
			"content-type": "application/json",
		},
		body: JSON.stringify(body),
	});
}

describe("the default fixtures", () => {
	const sandbox = startKnackSandbox(defaultSandboxOptions());
	afterAll(() => sandbox.stop());

	const refunded = attribute(streetBannerExample, "knack_record_id");

	test.each(Object.entries(refundCopy))(
		"the refunded Street Banner example's transaction has the %s refund-copy fields",
		async (_, map) => {
			const response = await get(sandbox, SB, `/objects/object_180/records/${refunded}`);
			expect(response.status).toBe(200);
			const record = (await response.json()) as Record<string, unknown>;
			expect(record[map.customer_name]).toBe("Chia B");
			expect(record[map.event_name]).toBeTruthy();
			expect(record[map.type]).toBe("Lamppost");
			expect(record[map.sub_description]).toContain("convention center");
			expect(record[`${map.ots}_raw`]).toEqual([]);
			const [lpb] = record[`${map.lpb}_raw`] as { id: string; identifier: string }[];
			expect(record[map.lpb]).toBe(`<span class="${lpb?.id}">${lpb?.identifier}</span>`);
			expect((await get(sandbox, SB, `/objects/object_161/records/${lpb?.id}`)).status).toBe(200);
		},
	);

	test("an OTS reservation with its own transaction", () => {
		const [reservation] = sandbox.records(SB.appId, "object_164");
		const transaction = sandbox
			.records(SB.appId, "object_180")
			.find((r) => (r.field_3329_raw as { id: string }[]).some((c) => c.id === reservation?.id));
		expect(transaction?.field_3327_raw).toEqual(transaction?.field_3329_raw);
		expect(reservation?.field_2858_raw).toBe(false);
	});

	test("the Smart Mobility example's transaction and block party exist", async () => {
		const transaction = attribute(smartMobilityExample, "knack_record_id");
		const parent = attribute(smartMobilityExample, "parent_record_id");
		expect((await get(sandbox, SM, `/objects/object_39/records/${transaction}`)).status).toBe(200);
		const party = (await (await get(sandbox, SM, `/objects/object_36/records/${parent}`)).json()) as Record<
			string,
			unknown
		>;
		expect(party).toMatchObject({ field_704: "Pending Payment", field_845: "No", field_845_raw: false });
	});

	test("the messages objects start empty, and the apps do not share records", () => {
		expect(sandbox.records(SB.appId, "object_181")).toEqual([]);
		expect(sandbox.records(SM.appId, "object_38")).toEqual([]);
		expect(sandbox.records(SM.appId, "object_180")).toEqual([]);
	});

	test("every connection in the fixtures points at a record that exists", () => {
		for (const { appId } of [SB, SM]) {
			for (const [objectKey, fields] of Object.entries(connectionSchema())) {
				for (const record of sandbox.records(appId, objectKey)) {
					for (const [field, target] of Object.entries(fields)) {
						for (const { id } of (record[`${field}_raw`] ?? []) as { id: string }[]) {
							expect(sandbox.records(appId, target.object as string).map((r) => r.id)).toContain(id);
						}
					}
				}
			}
		}
	});
});

describe("connection schemas per field map", () => {
	const lpb = "638e5b9e1370e500241c3e0a";

	test("UAT: field_3326/field_3327 are connections, shown by the reservation number", async () => {
		const sandbox = startKnackSandbox(defaultSandboxOptions({ fieldMap: "UAT" }));
		try {
			const record = (await (
				await post(sandbox, "/objects/object_180/records", { field_3326: lpb, field_3327: null })
			).json()) as Record<string, unknown>;
			expect(record.field_3326_raw).toEqual([{ id: lpb, identifier: "486" }]);
			expect(record.field_3327_raw).toEqual([]);
		} finally {
			await sandbox.stop();
		}
	});

	test("PRODUCTION: field_3327 is the refund invoice id; field_3328/field_3329 the connections", async () => {
		const sandbox = startKnackSandbox(defaultSandboxOptions({ fieldMap: "PRODUCTION" }));
		try {
			const response = await post(sandbox, "/objects/object_180/records", {
				field_3327: "INV2022-100250",
				field_3328: lpb,
				field_3329: null,
			});
			const record = (await response.json()) as Record<string, unknown>;
			expect(record).toMatchObject({
				field_3327: "INV2022-100250",
				field_3328_raw: [{ id: lpb, identifier: "486" }],
				field_3329_raw: [],
			});
		} finally {
			await sandbox.stop();
		}
	});

	test("the default serves either map: field_3327 takes an invoice id", async () => {
		const sandbox = startKnackSandbox(defaultSandboxOptions());
		try {
			const response = await post(sandbox, "/objects/object_180/records", {
				field_3327: "INV2022-100250",
				field_3326: lpb,
			});
			expect(response.status).toBe(200);
			expect(await response.json()).toMatchObject({
				field_3327_raw: "INV2022-100250",
				field_3326_raw: [{ id: lpb, identifier: "486" }],
			});
		} finally {
			await sandbox.stop();
		}
	});
});

test("the embedded development sandbox", async () => {
	const sandbox = developmentSandbox(0);
	try {
		expect(sandbox.credentials).toBe(sandboxCredentials);
		expect(sandbox.url).toBe(`${sandbox.root}/v1`);
		const records = (await (
			await fetch(`${sandbox.root}/__sandbox/records/${SB.appId}/object_161`)
		).json()) as unknown[];
		expect(records.length).toBeGreaterThan(0);
	} finally {
		await sandbox.stop();
	}
});

test("`bun src/index.ts` in development without Knack credentials loads the embedded sandbox and uses it", async () => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-embedded-"));
	const env = {
		PATH: process.env.PATH ?? "",
		CITYBASE_ENV: "development",
		HOST: "127.0.0.1",
		PORT: "0",
		KNACK_SANDBOX_PORT: "0",
		DATABASE_PATH: join(dir, "events.sqlite"),
	};
	const service = await spawnListening([process.execPath, "src/index.ts"], env, join(import.meta.dir, "..", ".."));
	try {
		const line = service.lines.map((l) => JSON.parse(l)).find((l) => l.message?.includes("embedded Knack sandbox"));
		expect(line?.knack_api_url).toStartWith("http://127.0.0.1:");
		const root = new URL(line.knack_api_url).origin;
		const records = (await (await fetch(`${root}/__sandbox/records/${SB.appId}/object_161`)).json()) as unknown[];
		expect(records.length).toBeGreaterThan(0);
	} finally {
		service.process.kill("SIGTERM");
		await service.exited;
		rmSync(dir, { recursive: true, force: true });
	}
}, 30_000);

describe("the sandbox process", () => {
	async function run(entry: string) {
		const child = Bun.spawn(
			[process.execPath, entry, "--port", "0", "--latency-ms", "1", "--rate-limit", "50", "--daily-limit", "2"],
			{
				stdout: "pipe",
				stderr: "pipe",
			},
		);
		const reader = child.stdout.getReader();
		const { value } = await reader.read();
		const line = JSON.parse(new TextDecoder().decode(value).trim()) as { message: string; url: string };
		expect(line.message).toBe("knack sandbox listening");
		const response = await fetch(`${line.url}/objects/object_39/records/6883b7b282a48402f6eb4a9e`, {
			headers: { "x-knack-application-id": SM.appId, "x-knack-rest-api-key": SM.apiKey },
		});
		expect(response.status).toBe(200);
		expect(response.headers.get("x-ratelimit-limit")).toBe("50");
		expect(response.headers.get("x-planlimit-limit")).toBe("2");
		expect(response.headers.get("x-planlimit-remaining")).toBe("1");
		child.kill("SIGTERM");
		expect(await child.exited).toBe(0);
	}

	test("prints where it listens, serves the fixtures with the limits given, exits 0 on SIGTERM", async () => {
		await run(join(import.meta.dir, "../../src/sandbox/main.ts"));
	});

	test.each([
		["--rate-limit", "0"],
		["--daily-limit", "1.5"],
		["--daily-limit", "many"],
	])("%s %s: exits 2 and says why", async (flag, value) => {
		const child = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/sandbox/main.ts"), flag, value], {
			stdout: "pipe",
			stderr: "pipe",
		});
		expect(await child.exited).toBe(2);
		expect(await new Response(child.stderr).text()).toContain(flag);
	});

	test("bundled into one file, the fixtures come along (as in a compiled service)", async () => {
		const dir = mkdtempSync(join(tmpdir(), "knack-sandbox-build-"));
		try {
			const build = await Bun.build({
				entrypoints: [join(import.meta.dir, "../../src/sandbox/main.ts")],
				outdir: dir,
				target: "bun",
			});
			expect(build.success).toBe(true);
			await run(join(dir, "main.js"));
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { cli, cliEnv, knackWrites, messagesOf, postApplied, postUnfinished, seeded, successful } from "./support.ts";

/**
 * `replay` end to end: postbacks through the real service build the log, then the CLI
 * replays it against the same SQLite file and the same Knack sandbox.
 */

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	env = cliEnv(h);
});
afterAll(() => h.stop());
beforeEach(() => {
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
});

const nextPosition = async () => String((await h.service.store.lastSeq()) + 1);
const transactionPut = `PUT object_180/${seeded.transaction}`;
const parentPut = `PUT object_161/${seeded.lamppost}`;

/** Aborts `controller` as soon as the sandbox holds a call it has not answered yet. */
async function abortDuringCall(controller: AbortController): Promise<void> {
	for (let i = 0; i < 500; i++) {
		if (h.sandbox.calls().some((c) => c.status === null)) {
			controller.abort();
			return;
		}
		await Bun.sleep(2);
	}
	throw new Error("no Knack call was in flight");
}

describe("--dry-run", () => {
	test("prints the exact calls it would make and makes none; the log is unchanged", async () => {
		const from = await nextPosition();
		await postUnfinished(h, successful(6001));
		await postApplied(h, successful(6002));
		await postApplied(h, postback({ id: 6003, status: "refunded", invoice: "INV-6003" }));
		h.sandbox.clearCalls();
		const before = await h.service.store.lastSeq();

		const unfinished = await cli(["replay", "--from", from, "--dry-run"], { env });
		expect(unfinished.code).toBe(0);
		expect(unfinished.stdout).toBe(
			[
				"payment 6001 successful · STREET_BANNER · invoice INV2025-6001 · delivery " +
					`${from}, recorded 2025-08-18 14:17:00 (Austin)`,
				`  PUT  object_180/${seeded.transaction} {transaction status (field_3352): "PAID", paid date (field_3366): "08/18/2025 14:17"}`,
				"",
			].join("\n"),
		);
		expect(unfinished.stderr).toContain("dry run: 1 Knack call for 1 payment status; 2 with nothing unfinished");

		const forced = await cli(["replay", "--from", from, "--dry-run", "--force"], { env });
		expect(forced.code).toBe(0);
		const lines = forced.stdout.split("\n").filter((l) => l.startsWith("  "));
		const message = (id: number, status: string, invoice: string) =>
			`  POST object_181 {invoice number (field_3365): "${invoice}", connected invoice (field_3372): "${invoice}", created date (field_3369): "08/18/2025 14:17", CityBase status (field_3367): "${status}", CityBase payment id (field_3378): ${id}}`;
		const lookup = (id: number, status: string) =>
			`  GET  object_181 filters CityBase payment id (field_3378) is ${id} and CityBase status (field_3367) is "${status}"  (lookup: the message insert is skipped if found)`;
		const lamppost = `  PUT  object_161/${seeded.lamppost} {application status (field_2796): "Approved", payment received (field_2808): true, payment date (field_2809): "08/18/2025 14:17"}`;
		const transaction = `  PUT  object_180/${seeded.transaction} {transaction status (field_3352): "PAID", paid date (field_3366): "08/18/2025 14:17"}`;
		expect(lines).toEqual([
			lookup(6001, "successful"),
			message(6001, "successful", "INV2025-6001"),
			lamppost,
			transaction,
			lookup(6002, "successful"),
			message(6002, "successful", "INV2025-6002"),
			lamppost,
			transaction,
			lookup(6003, "refunded"),
			message(6003, "refunded", "INV-6003"),
			'  GET  object_180 filters invoice number (field_3333) is "INV-6003" and transaction status (field_3352) is "REFUND" and total amount (field_3338) is "-6000"  (lookup: the refund insert is skipped if found)',
			"  GET  object_180/638e5bd41370e500241c3e1f  (read: the refund record copies fields from it)",
			expect.stringContaining(
				'  POST object_180 {transaction status (field_3352): "REFUND", invoice number (field_3333): "INV-6003", total amount (field_3338): "-6000", created date (field_3320): "08/18/2025 14:17", paid date (field_3366): "08/18/2025 14:17", customer name (field_3334): "<copied from GET object_180/638e5bd41370e500241c3e1f: field_3334>"',
			),
		]);

		const json = JSON.parse(
			(await cli(["replay", "--payment", "6003", "--dry-run", "--force", "--json"], { env })).stdout,
		);
		expect(json).toHaveLength(1);
		expect(json[0].calls.map((c: { purpose: string; method: string }) => `${c.purpose} ${c.method}`)).toEqual([
			"lookup GET",
			"write POST",
			"lookup GET",
			"source GET",
			"write POST",
		]);
		expect(json[0].calls[4].copiedFrom).toBe("GET object_180/638e5bd41370e500241c3e1f");

		expect(h.sandbox.calls()).toEqual([]);
		expect(await h.service.store.lastSeq()).toBe(before);
	});

	test("on a payment with nothing unfinished it says so", async () => {
		await postApplied(h, successful(6010));
		h.sandbox.clearCalls();
		const r = await cli(["replay", "--payment", "6010", "--dry-run"], { env });
		expect(r.code).toBe(0);
		expect(r.stdout).toBe("payment 6010 successful: nothing unfinished\n");
		expect(r.stderr).toContain(
			"0 Knack calls for 0 payment statuses; 1 with nothing unfinished. No Knack call was made.",
		);
		expect(h.sandbox.calls()).toEqual([]);
	});

	test("needs no Knack credentials", async () => {
		const { KNACK_API_URL: _, ...withoutKnack } = env;
		expect((await cli(["replay", "--payment", "6010", "--dry-run"], { env: withoutKnack })).code).toBe(0);
	});
});

describe("replay", () => {
	test("finishes what is unfinished, once for duplicate deliveries, and applies them all", async () => {
		await postUnfinished(h, successful(6101));
		await postUnfinished(h, successful(6101));
		expect(
			h.sandbox.records(appIds.STREET_BANNER, "object_180").find((r) => r.id === seeded.transaction),
		).toBeDefined();
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: seeded.transaction, field_3352: "INVOICED" });
		h.sandbox.clearCalls();

		const r = await cli(["replay", "--payment", "6101"], { env });
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/^payment 6101 successful \(delivery \d+\): 1 written, 2 already done\n$/);
		expect(knackWrites(h)).toEqual([transactionPut]);
		const transaction = h.sandbox.records(appIds.STREET_BANNER, "object_180").find((t) => t.id === seeded.transaction);
		expect(transaction?.field_3352_raw).toBe("PAID");
		expect(transaction?.field_3366_raw).toBe("08/18/2025 14:17");
		const deliveries = JSON.parse((await cli(["events", "list", "--json", "--payment", "6101"], { env })).stdout);
		expect(deliveries.map((d: { state: string }) => d.state)).toEqual(["applied", "applied"]);

		h.sandbox.clearCalls();
		const again = await cli(["replay", "--payment", "6101"], { env });
		expect(again.stdout).toBe("payment 6101 successful: nothing unfinished\n");
		expect(h.sandbox.calls()).toEqual([]);
	});

	test("--force re-applies every write of an applied payment without duplicating a record", async () => {
		await postApplied(h, successful(6201));
		await postApplied(h, postback({ id: 6202, status: "refunded", invoice: "INV-6202" }));
		const refunds = () =>
			h.sandbox
				.records(appIds.STREET_BANNER, "object_180")
				.filter((t) => t.field_3333_raw === "INV-6202" && t.field_3352_raw === "REFUND");
		expect(messagesOf(h, 6201)).toHaveLength(1);
		expect(refunds()).toHaveLength(1);
		h.sandbox.clearCalls();

		const r = await cli(["replay", "--payment", "6201", "--force"], { env });
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(
			/payment 6201 successful \(delivery \d+\): 2 written, 1 found already in Knack, 0 already done/,
		);
		expect(knackWrites(h)).toEqual([parentPut, transactionPut]);
		const refund = await cli(["replay", "--invoice", "INV-6202", "--force"], { env });
		expect(refund.code).toBe(0);
		expect(refund.stdout).toMatch(/payment 6202 refunded \(delivery \d+\): 0 written, 2 found already in Knack/);

		expect(messagesOf(h, 6201)).toHaveLength(1);
		expect(messagesOf(h, 6202)).toHaveLength(1);
		expect(refunds()).toHaveLength(1);
	});

	test("Ctrl-C stops after the call in flight, and the same command finishes the rest", async () => {
		const from = await nextPosition();
		for (const id of [6301, 6302, 6303]) await postUnfinished(h, successful(id));
		h.sandbox.clearCalls();
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", delayMs: 300 });

		const controller = new AbortController();
		const running = cli(["replay", "--from", from], { env, signal: controller.signal });
		await abortDuringCall(controller);
		const stopped = await running;
		expect(stopped.code).toBe(130);
		expect(stopped.stderr).toContain("INTERRUPTED: run the same command again to continue");
		// The call in flight completed and was recorded; nothing was sent after it.
		expect(h.sandbox.calls().map((c) => [`${c.method} ${c.objectKey}`, c.status])).toEqual([["PUT object_180", 200]]);
		const left = JSON.parse((await cli(["pending", "--json"], { env })).stdout);
		const ids = left.map((p: { citybaseId: number }) => p.citybaseId);
		expect(ids.filter((id: number) => id > 6300)).toEqual([6302, 6303]);

		h.sandbox.clearCalls();
		const resumed = await cli(["replay", "--from", from], { env });
		expect(resumed.code).toBe(0);
		expect(knackWrites(h)).toEqual([transactionPut, transactionPut]);
		expect(resumed.stdout.trim().split("\n")).toEqual([
			expect.stringMatching(/^payment 6302 successful .*: 1 written, 2 already done$/),
			expect.stringMatching(/^payment 6303 successful .*: 1 written, 2 already done$/),
		]);
		const pending = JSON.parse((await cli(["pending", "--json"], { env })).stdout);
		expect(pending.filter((p: { citybaseId: number }) => p.citybaseId > 6300)).toEqual([]);
	});

	test("an interrupted forced replay resumes where it stopped", async () => {
		const from = await nextPosition();
		for (const id of [6401, 6402, 6403]) await postApplied(h, successful(id));
		const command = ["replay", "--from", from, "--force"];
		h.sandbox.clearCalls();
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", delayMs: 300 });

		const controller = new AbortController();
		const running = cli(command, { env, signal: controller.signal });
		await abortDuringCall(controller);
		expect((await running).code).toBe(130);
		expect(knackWrites(h)).toEqual([parentPut, transactionPut]);

		h.sandbox.clearCalls();
		const resumed = await cli(command, { env });
		expect(resumed.code).toBe(0);
		expect(resumed.stderr).toContain("resuming the forced replay that stopped after log position");
		expect(resumed.stdout).not.toContain("payment 6401");
		expect(knackWrites(h)).toEqual([parentPut, transactionPut, parentPut, transactionPut]);

		h.sandbox.clearCalls();
		const complete = await cli(command, { env });
		expect(complete.stderr).not.toContain("resuming");
		expect(knackWrites(h)).toHaveLength(6);
	});

	test("a payment Knack refuses fails the replay (exit 1) but not the others", async () => {
		const from = await nextPosition();
		await postUnfinished(h, successful(6501));
		await postUnfinished(h, successful(6502));
		h.sandbox.clearCalls();
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 404 });
		const r = await cli(["replay", "--from", from, "--json"], { env });
		expect(r.code).toBe(1);
		const results = JSON.parse(r.stdout);
		expect(results.map((x: { citybaseId: number; state: string }) => [x.citybaseId, x.state])).toEqual([
			[6501, "failed"],
			[6502, "done"],
		]);
		expect(results[0]).toEqual(expect.objectContaining({ status: 404 }));
		expect(r.stderr).toContain("1 failed");
	});

	test("a dead-lettered delivery is pending with its reason until a replay applies it", async () => {
		await postUnfinished(h, successful(6551));
		const [delivery] = JSON.parse((await cli(["events", "list", "--json", "--payment", "6551"], { env })).stdout);
		await h.service.store.recordDeadLetter(delivery.seq, "50 failed Knack attempts", 50, Date.now());
		const listed = JSON.parse((await cli(["pending", "--json"], { env })).stdout);
		expect(listed.find((p: { citybaseId: number }) => p.citybaseId === 6551)).toEqual(
			expect.objectContaining({ state: "dead-lettered", deadLetterReason: "50 failed Knack attempts" }),
		);
		h.sandbox.clearCalls();
		expect((await cli(["replay", "--payment", "6551"], { env })).code).toBe(0);
		expect(knackWrites(h)).toEqual([transactionPut]);
		const after = JSON.parse((await cli(["pending", "--json"], { env })).stdout);
		expect(after.find((p: { citybaseId: number }) => p.citybaseId === 6551)).toBeUndefined();
	});

	test("a replay is recorded as the OS user's repair and shows in the payment's timeline; one with nothing to do is not", async () => {
		await postUnfinished(h, successful(6571));
		const asAna = { ...env, USER: "ana.ruiz" };
		expect((await cli(["replay", "--payment", "6571"], { env: asAna })).code).toBe(0);
		expect((await cli(["replay", "--payment", "6571"], { env: asAna })).code).toBe(0);
		const shown = JSON.parse((await cli(["payments", "show", "6571", "--json"], { env })).stdout);
		const actions = shown.payments[0].timeline.filter((e: { type: string }) => e.type === "operator.action");
		expect(actions).toEqual([
			expect.objectContaining({
				who: "ana.ruiz",
				by: "cli",
				action: "replay",
				what: "replay --payment 6571",
				result: "1 written, 2 already done",
			}),
		]);
		const table = (await cli(["payments", "show", "6571"], { env })).stdout;
		expect(table).toMatch(/replay by ana\.ruiz \(cli\)\s+1 written, 2 already done/);

		// No $USER (a container's shell): the account's name as libc knows it (`id -un`); never "unknown".
		await postUnfinished(h, successful(6572));
		const { USER: _, LOGNAME: __, ...noUser } = env;
		expect((await cli(["replay", "--payment", "6572"], { env: noUser })).code).toBe(0);
		const [action] = JSON.parse(
			(await cli(["payments", "show", "6572", "--json"], { env })).stdout,
		).payments[0].timeline.filter((e: { type: string }) => e.type === "operator.action");
		expect(action.who).toBe(Bun.spawnSync(["id", "-un"]).stdout.toString().trim());
		expect(action.who).not.toBe("unknown");
	});

	test("respects the per-app Knack rate limit", async () => {
		await postApplied(h, successful(6601));
		h.sandbox.clearCalls();
		// At 2 calls a second, a replay (operator work) leaves one of them for live payments:
		// its three calls take two seconds and more, so it gets a longer deadline than 3 s.
		const slow = { ...env, KNACK_RATE_LIMIT: "2", POSTBACK_DEADLINE_SECONDS: "8", CLAIM_LEASE_SECONDS: "10" };
		const r = await cli(["replay", "--payment", "6601", "--force"], { env: slow });
		expect(r.code).toBe(0);
		const at = h.sandbox.calls().map((c) => c.at);
		expect(at).toHaveLength(3);
		// One operator call a second: each is granted a full second after the one before. The
		// sandbox sees arrivals, which a busy machine delays by a few tens of ms each way.
		expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(900);
		expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(900);
		expect((at[2] as number) - (at[0] as number)).toBeGreaterThanOrEqual(1900);
	});

	test("shows a progress bar at a terminal and plain progress lines otherwise", async () => {
		await postUnfinished(h, successful(6701));
		const tty = await cli(["replay", "--payment", "6701", "--dry-run"], { env, isTTY: true });
		expect(tty.stderr).toContain("\r\x1b[2Kdry run [########################] 1/1 deliveries 100% ");
		expect(tty.stderr).toMatch(/1\/1 deliveries 100% [\d.]+\/s ETA/);
		const plain = await cli(["replay", "--payment", "6701"], { env });
		expect(plain.stderr).not.toContain("\r");
		expect(plain.stderr).toMatch(/^replay: 1\/1 deliveries in \d+ ms \([\d.]+\/s\)$/m);
	});

	test("in development without credentials: the running sandbox is found, or one line says how to point at one", async () => {
		await postUnfinished(h, successful(6801));
		h.sandbox.clearCalls();
		const { KNACK_API_URL: _, ...withoutKnack } = env;
		const nothingThere = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
		const closedPort = String(nothingThere.port);
		nothingThere.stop(true);

		const missing = await cli(["replay", "--payment", "6801"], {
			env: { ...withoutKnack, KNACK_SANDBOX_PORT: closedPort },
		});
		expect(missing.code).toBe(1);
		expect(missing.stderr).toBe(
			`error: no Knack credentials, and no Knack sandbox answers at http://127.0.0.1:${closedPort}: start the development service (npm start), or set KNACK_API_URL=http://HOST:PORT/v1 to a running sandbox\n`,
		);
		const real = await cli(["replay", "--payment", "6801"], {
			env: { ...env, KNACK_API_URL: "https://api.knack.com/v1" },
		});
		expect(real.code).toBe(1);
		expect(real.stderr).toContain("there are no Knack credentials: set KNACK_STREET_BANNER_APP_ID");
		expect(h.sandbox.calls()).toEqual([]);

		// The sandbox listens where the development service starts it: 127.0.0.1, KNACK_SANDBOX_PORT.
		const found = await cli(["replay", "--payment", "6801"], {
			env: { ...withoutKnack, KNACK_SANDBOX_PORT: new URL(h.sandbox.url).port },
		});
		expect(found.code).toBe(0);
		expect(found.stderr).toContain(
			`note: no Knack credentials: using the development service's Knack sandbox at ${h.sandbox.url}`,
		);
		expect(knackWrites(h)).toEqual([transactionPut]);
	});

	test("a selection must be exactly one of --payment, --invoice, --from/--to, --all (exit 2)", async () => {
		for (const argv of [
			["replay"],
			["replay", "--all", "--payment", "1"],
			["replay", "--from", "5", "--to", "2"],
			["replay", "--payment", "x"],
			["replay", "--all", "--bogus"],
		]) {
			const r = await cli(argv, { env });
			expect(r.code).toBe(2);
			expect(r.stderr).toContain("Usage: cli replay");
		}
	});
});

describe("replay against the production Knack", () => {
	let p: Harness;
	let productionEnv: Record<string, string>;

	beforeAll(async () => {
		p = await startHarness({ environment: "production", startAt: "2025-08-18T19:17:00Z" });
		productionEnv = {
			...cliEnv(p),
			CITYBASE_ENV: "production",
			POSTBACK_AUTH: "none",
			EVENT_LOG_ENCRYPTION: "none",
			KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
			KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
			KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
			KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
		};
		await postUnfinished(p, successful(6901));
		await postUnfinished(p, successful(6902));
		p.sandbox.clearCalls();
	});
	afterAll(() => p.stop());

	test("refuses without a person's name, and says how to give one (exit 2)", async () => {
		for (const argv of [
			["replay", "--payment", "6901", "--yes"],
			["replay", "--payment", "6901", "--yes", "--as", "  "],
			["verify", "--payment", "6901", "--fix", "--yes"],
		]) {
			const r = await cli(argv, { env: productionEnv });
			expect(r.code).toBe(2);
			expect(r.stderr).toStartWith(
				argv.includes("--as")
					? "error: --as needs a name"
					: 'error: this writes to the production Knack, and every write is recorded under the name of the person who asked: add --as "Your Name" (or set CITYBASE_OPERATOR)',
			);
		}
		expect(p.sandbox.calls()).toEqual([]);
		// What only reads needs no name: a dry run, and verify without --fix.
		expect((await cli(["replay", "--payment", "6901", "--dry-run"], { env: productionEnv })).code).toBe(0);
	});

	test("with --as, the payment's timeline names the person; CITYBASE_OPERATOR does the same", async () => {
		await postUnfinished(p, successful(6903));
		await postUnfinished(p, successful(6904));
		p.sandbox.clearCalls();
		const named = await cli(["replay", "--payment", "6903", "--yes", "--as", "Ana Ruiz"], { env: productionEnv });
		expect(named.code).toBe(0);
		const byEnv = await cli(["replay", "--payment", "6904", "--yes"], {
			env: { ...productionEnv, CITYBASE_OPERATOR: "Bo Chen" },
		});
		expect(byEnv.code).toBe(0);
		for (const [id, who] of [
			[6903, "Ana Ruiz"],
			[6904, "Bo Chen"],
		] as const) {
			const shown = (await cli(["payments", "show", String(id)], { env: productionEnv })).stdout;
			expect(shown).toMatch(new RegExp(`replay by ${who} \\(cli\\)\\s+1 written, 2 already done`));
		}
		p.sandbox.clearCalls();
	});

	test("verify --fix lists every call it will make before asking, the reservation's too", async () => {
		p.sandbox.put(appIds.STREET_BANNER, "object_180", { id: seeded.transaction, field_3353: "INVOICED" });
		const r = await cli(["verify", "--payment", "6903", "--fix", "--as", "Ana Ruiz"], {
			env: productionEnv,
			isTTY: true,
			stdin: "n\n",
		});
		expect(r.code).toBe(1);
		const asked = r.stderr.slice(r.stderr.indexOf("This will re-apply 1 delivery in the PRODUCTION Knack"));
		expect(asked.split("\n").slice(0, 6)).toEqual([
			"This will re-apply 1 delivery in the PRODUCTION Knack, with these calls:",
			expect.stringMatching(/^ {2}delivery \d+: payment 6903 successful$/),
			expect.stringMatching(/^ {4}GET {2}object_181 filters CityBase payment id \(field_3368\) is 6903 and/),
			expect.stringMatching(/^ {4}POST object_181 \{invoice number \(field_3363\): "INV2025-6903"/),
			`    PUT  object_161/${seeded.lamppost} {application status (field_2796): "Approved", payment received (field_2808): true, payment date (field_2809): "08/18/2025 14:17"}`,
			`    PUT  object_180/${seeded.transaction} {transaction status (field_3353): "PAID", paid date (field_3352): "08/18/2025 14:17"}`,
		]);
		expect(asked).toContain("Continue? [y/N]");
		expect(r.stderr).toContain("cancelled: nothing was sent to Knack");
		expect(knackWrites(p)).toEqual([]);
		p.sandbox.put(appIds.STREET_BANNER, "object_180", { id: seeded.transaction, field_3353: "PAID" });
		p.sandbox.clearCalls();
	});

	test("refuses without a terminal and without --yes (exit 2)", async () => {
		const r = await cli(["replay", "--payment", "6901", "--as", "Ana Ruiz"], { env: productionEnv });
		expect(r.code).toBe(2);
		expect(r.stderr).toContain("refusing to replay --payment 6901 in the production Knack without --yes");
		expect(p.sandbox.calls()).toEqual([]);
	});

	test("a dry run needs no confirmation", async () => {
		const r = await cli(["replay", "--payment", "6901", "--dry-run"], { env: productionEnv });
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(
			`PUT  object_180/${seeded.transaction} {transaction status (field_3353): "PAID", paid date (field_3352): "08/18/2025 14:17"}`,
		);
		expect(p.sandbox.calls()).toEqual([]);
	});

	test("asks at a terminal: no cancels, yes writes", async () => {
		const asAna = ["--as", "Ana Ruiz"];
		const no = await cli(["replay", "--payment", "6901", ...asAna], { env: productionEnv, isTTY: true, stdin: "n\n" });
		expect(no.code).toBe(1);
		expect(no.stderr).toContain("This will replay --payment 6901 in the PRODUCTION Knack. Continue? [y/N]");
		expect(no.stderr).toContain("cancelled: nothing was sent to Knack");
		expect(p.sandbox.calls()).toEqual([]);

		const yes = await cli(["replay", "--payment", "6901", ...asAna], {
			env: productionEnv,
			isTTY: true,
			stdin: "yes\n",
		});
		expect(yes.code).toBe(0);
		expect(knackWrites(p)).toEqual([transactionPut]);
	});

	test("--yes writes without asking", async () => {
		p.sandbox.clearCalls();
		const r = await cli(["replay", "--payment", "6902", "--yes"], {
			env: { ...productionEnv, CITYBASE_OPERATOR: "Ana Ruiz" },
		});
		expect(r.code).toBe(0);
		expect(r.stderr).not.toContain("Continue?");
		expect(knackWrites(p)).toEqual([transactionPut]);
	});
});

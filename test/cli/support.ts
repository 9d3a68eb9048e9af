import type { CliIo } from "../../src/cli/io.ts";
import { runCli } from "../../src/cli.ts";
import { appIds, type Harness } from "../support/harness.ts";
import { type PaymentSpec, postback } from "../support/payloads.ts";

/** Runs the CLI in process against a harness's store and sandbox, capturing what it prints. */
export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

export interface CliOptions {
	env?: Record<string, string>;
	/** what the operator types when asked */
	stdin?: string;
	isTTY?: boolean;
	signal?: AbortSignal;
}

export function cliEnv(h: Harness, extra: Record<string, string> = {}): Record<string, string> {
	return {
		CITYBASE_ENV: "development",
		...h.store.env,
		KNACK_API_URL: h.sandbox.url,
		KNACK_RATE_LIMIT: "1000",
		KNACK_TIMEOUT_SECONDS: "1",
		POSTBACK_DEADLINE_SECONDS: "3",
		CLAIM_LEASE_SECONDS: "5",
		...extra,
	};
}

export async function cli(argv: string[], options: CliOptions = {}): Promise<CliResult> {
	let stdout = "";
	let stderr = "";
	const io: CliIo = {
		stdout: {
			write: (chunk: string) => {
				stdout += chunk;
			},
		},
		stderr: {
			write: (chunk: string) => {
				stderr += chunk;
			},
		},
		stdin: (async function* () {
			if (options.stdin !== undefined) yield options.stdin;
		})(),
		isTTY: options.isTTY ?? false,
		env: options.env ?? {},
		signal: options.signal,
	};
	const code = await runCli(argv, io);
	return { code, stdout, stderr };
}

/** Sandbox records the tests pay for (seeded by `src/sandbox/defaults.ts`). */
export const seeded = {
	transaction: "638e5bc21370e500241c3e15",
	lamppost: "638e5bb01370e500241c3e12",
};

/** A successful Street Banner lamppost payment on the seeded records. */
export function successful(id: number, extra: Partial<PaymentSpec> = {}) {
	return postback({
		id,
		status: "successful",
		knackRecordId: seeded.transaction,
		bannerType: "LAMPPOST",
		parentRecordId: seeded.lamppost,
		...extra,
	});
}

/** Posts a payment whose transaction update Knack refuses: it stays unfinished in the log. */
export async function postUnfinished(h: Harness, body: unknown): Promise<void> {
	h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 400, body: "field_3352 is invalid" });
	const response = await h.post(body);
	if (response.status !== 400) throw new Error(`expected Knack's 400 to be passed on, got ${response.status}`);
}

export async function postApplied(h: Harness, body: unknown): Promise<void> {
	const response = await h.post(body);
	if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${await response.text()}`);
}

export function knackWrites(h: Harness): string[] {
	return h.sandbox
		.calls()
		.filter((c) => c.method !== "GET")
		.map((c) => `${c.method} ${c.objectKey}${c.method === "PUT" ? `/${c.recordId}` : ""}`);
}

export function messagesOf(h: Harness, id: number) {
	return h.sandbox.records(appIds.STREET_BANNER, "object_181").filter((r) => r.field_3378_raw === id);
}

/**
 * The health checks, as data: each is a pure function of the signals the service has
 * already observed (its writes, its Knack calls, the sampled backlog, the CloudWatch
 * sink's counts) to a state and a short reason. Nothing here does I/O, so `GET /` costs
 * the same whatever the size of the log and whatever Knack is doing.
 */
export type CheckState = "ok" | "degraded" | "failing";

export const stateRank: Record<CheckState, number> = { ok: 0, degraded: 1, failing: 2 };

export interface CheckResult {
	state: CheckState;
	reason: string;
	/** figures behind the reason, shown beside it in the answer */
	facts?: Record<string, unknown>;
	/** for the log only, never the answer: the store's own error text, which can hold SQL */
	detail?: string;
}

export interface HealthConfig {
	/** how often free space, the backlog and the CloudWatch counts are sampled (and a probe written if needed) */
	sampleIntervalMs: number;
	/** degraded below this much free space on the store's file system */
	storeMinFreeBytes: number;
	/** how far back Knack's 5xx, 429s and timeouts count */
	knackWindowMs: number;
	/** failing after this many 401/403 answers in a row from one app */
	knackAuthFailures: number;
	backlogDegradedMs: number;
	backlogFailingMs: number;
	/** how far back lines dropped before CloudWatch count */
	logsWindowMs: number;
	/** KNACK_DAILY_RESERVE: below it, operator work has stopped and only live payments have quota left */
	knackDailyReserve: number;
}

/** One write's outcome: a postback's (or recovery's) write, or the monitor's probe. */
export interface WriteOutcome {
	at: number;
	/** what went wrong, in words (`describeStoreError`); null when the write succeeded */
	error: string | null;
	/** the store's own error text, for the log */
	detail?: string;
}

export interface StoreSignals {
	write: WriteOutcome | null;
	probe: WriteOutcome | null;
	freeBytes: number | null;
}

export interface KnackCall {
	at: number;
	/** null: no answer (timeout, network error) */
	status: number | null;
}

export interface KnackAppSignals {
	lastCall: KnackCall | null;
	authRefusalsInARow: number;
	/** the calls that went wrong (5xx, 429, no answer), oldest first, at least those inside the window */
	troubles: readonly KnackCall[];
	/** the daily plan quota as last sampled from the shared budget; null until Knack has reported it */
	quota: { remaining: number | null; limit: number | null; resetAt: number | null } | null;
}

export type BacklogSignals =
	| { at: number; pending: number; oldestReceivedAt: number | null; deadLettered: number }
	| { at: number; error: string; detail?: string };

export interface Signals {
	now: number;
	store: StoreSignals;
	knack: Record<string, KnackAppSignals>;
	/** null until the first sample */
	backlog: BacklogSignals | null;
	/** null when CloudWatch Logs is off */
	logs: { dropped: number; droppedInWindow: number } | null;
}

export interface CheckDefinition {
	name: string;
	/** what the check watches, as a person calls it */
	title: string;
	evaluate(signals: Signals, config: HealthConfig): CheckResult;
}

export const isAuthRefusal = (status: number | null) => status === 401 || status === 403;
/** An answer that says Knack itself is in trouble, not that our request was wrong. */
export const isKnackTrouble = (status: number | null) => status === null || status === 429 || status >= 500;

export function worst(states: CheckState[]): CheckState {
	return states.reduce<CheckState>((a, b) => (stateRank[b] > stateRank[a] ? b : a), "ok");
}

function megabytes(bytes: number): string {
	const mb = bytes / 1_048_576;
	return mb < 10_240 ? `${mb.toFixed(1)} MB` : `${(mb / 1024).toFixed(0)} GB`;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function duration(ms: number): string {
	const seconds = Math.round(ms / 1000);
	if (seconds < 120) return `${seconds} s`;
	const minutes = Math.round(seconds / 60);
	return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

const isNewer = (a: WriteOutcome | null, than: WriteOutcome | null): a is WriteOutcome =>
	a !== null && (than === null || a.at > than.at);

/** The store's result: failing while its writes fail, which is also what readiness asks. */
export function storeResult({ write, probe, freeBytes }: StoreSignals, config: HealthConfig): CheckResult {
	const facts = { free_bytes: freeBytes };
	const roomy = freeBytes === null || freeBytes >= config.storeMinFreeBytes;
	// A later probe clears a postback's failed write only once there is room again: on a
	// nearly full disk the probe's few bytes can fit where a postback's do not.
	const probeCleared = isNewer(probe, write) && probe.error === null && roomy;
	if (write?.error && !probeCleared) {
		return {
			state: "failing",
			reason: `the last write to the event log failed: ${write.error}`,
			facts,
			detail: write.detail,
		};
	}
	if (probe?.error && isNewer(probe, write)) {
		return {
			state: "failing",
			reason: `a test write to the event log failed: ${probe.error}`,
			facts,
			detail: probe.detail,
		};
	}
	if (!roomy && freeBytes !== null) {
		return {
			state: "degraded",
			reason: `${megabytes(freeBytes)} free on the event log's file system (under ${megabytes(config.storeMinFreeBytes)})`,
			facts,
		};
	}
	const free = freeBytes === null ? "" : `; ${megabytes(freeBytes)} free`;
	return { state: "ok", reason: `writable${free}`, facts };
}

/**
 * One app's rules, each a result or null when it has nothing to say; the worst wins.
 * Another input (such as the daily quota left) is one more rule over one more signal.
 */
type KnackRule = (app: KnackAppSignals, now: number, config: HealthConfig) => CheckResult | null;

const credentials: KnackRule = (app, _now, config) =>
	app.authRefusalsInARow >= config.knackAuthFailures
		? {
				state: "failing",
				reason: `Knack refused our credentials (${app.lastCall?.status}) on the last ${app.authRefusalsInARow} calls: check the app id and API key`,
			}
		: null;

const outage: KnackRule = (app, now, config) => {
	const recent = app.troubles.filter((call) => now - call.at <= config.knackWindowMs);
	const lastWentWrong = app.lastCall !== null && isKnackTrouble(app.lastCall.status);
	if (recent.length === 0 && !lastWentWrong) return null;
	const tally = new Map<string, number>();
	for (const call of recent) {
		const kind = call.status === null ? "no answer" : String(call.status);
		tally.set(kind, (tally.get(kind) ?? 0) + 1);
	}
	const kinds = [...tally].map(([kind, n]) => `${kind} ×${n}`).join(", ");
	const reason = lastWentWrong
		? `Knack's last answer was ${app.lastCall?.status ?? "none (timeout or unreachable)"}`
		: "Knack answers again";
	const tallied = `${count(recent.length, "call", "calls")} went wrong in the last ${duration(config.knackWindowMs)} (${kinds})`;
	return { state: "degraded", reason: recent.length === 0 ? reason : `${reason}; ${tallied}` };
};

/** `2026-12-07 00:00 UTC`: a time in a reason says its zone, as the answer's ISO times do with their Z. */
export function utcTime(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const resetText = (resetAt: number | null) =>
	resetAt === null ? "at the end of Knack's plan day" : `at ${utcTime(resetAt)}`;

const quota: KnackRule = (app, _now, config) => {
	const remaining = app.quota?.remaining ?? null;
	if (remaining === null) return null;
	if (remaining <= 0) {
		return {
			state: "failing",
			reason: `the daily Knack quota is exhausted: every payment waits for the reset ${resetText(app.quota?.resetAt ?? null)}`,
		};
	}
	if (remaining < config.knackDailyReserve) {
		return {
			state: "degraded",
			reason: `${remaining} calls left of the daily Knack quota, under the reserve of ${config.knackDailyReserve}: replays stop until the reset ${resetText(app.quota?.resetAt ?? null)}`,
		};
	}
	return null;
};

const knackRules: KnackRule[] = [credentials, outage, quota];

export function knackApp(app: KnackAppSignals, now: number, config: HealthConfig): CheckResult {
	const results = knackRules.map((rule) => rule(app, now, config)).filter((v): v is CheckResult => v !== null);
	const state = worst(results.map((v) => v.state));
	const facts = {
		last_status: app.lastCall?.status ?? null,
		last_call_at: app.lastCall ? new Date(app.lastCall.at).toISOString() : null,
		quota_remaining: app.quota?.remaining ?? null,
		quota_limit: app.quota?.limit ?? null,
		quota_resets_at: app.quota?.resetAt ? new Date(app.quota.resetAt).toISOString() : null,
	};
	const reasons = results.filter((v) => v.state === state).map((v) => v.reason);
	if (reasons.length > 0) return { state, reason: reasons.join("; "), facts };
	return {
		state: "ok",
		reason: app.lastCall ? `the last call was answered ${app.lastCall.status}` : "no call yet",
		facts,
	};
}

function knack({ knack, now }: Signals, config: HealthConfig): CheckResult {
	const apps = Object.entries(knack).map(([name, signals]) => ({ name, ...knackApp(signals, now, config) }));
	const state = worst(apps.map((a) => a.state));
	const named = apps.filter((a) => a.state === state && state !== "ok");
	const facts = {
		apps: Object.fromEntries(apps.map(({ name, state, reason, facts }) => [name, { state, reason, ...facts }])),
	};
	if (named.length === 0) return { state, reason: "every app answers", facts };
	return { state, reason: named.map((a) => `${a.name}: ${a.reason}`).join("; "), facts };
}

function backlog({ backlog, now }: Signals, config: HealthConfig): CheckResult {
	if (backlog === null) return { state: "ok", reason: "not sampled yet" };
	if ("error" in backlog) {
		return { state: "failing", reason: `the event log could not be read: ${backlog.error}`, detail: backlog.detail };
	}
	const age = backlog.oldestReceivedAt === null ? 0 : Math.max(0, now - backlog.oldestReceivedAt);
	const facts = {
		pending: backlog.pending,
		oldest_age_seconds: Math.round(age / 1000),
		dead_lettered_24h: backlog.deadLettered,
	};
	const unfinished = `${count(backlog.pending, "delivery", "deliveries")} not yet in Knack, the oldest for ${duration(age)}`;
	if (backlog.pending > 0 && age > config.backlogFailingMs) {
		return { state: "failing", reason: `${unfinished} (over ${duration(config.backlogFailingMs)})`, facts };
	}
	if (backlog.pending > 0 && age > config.backlogDegradedMs) {
		return { state: "degraded", reason: `${unfinished} (over ${duration(config.backlogDegradedMs)})`, facts };
	}
	if (backlog.deadLettered > 0) {
		return {
			state: "degraded",
			reason: `${count(backlog.deadLettered, "delivery", "deliveries")} dead-lettered in the last 24 h: replay once the cause is fixed`,
			facts,
		};
	}
	return { state: "ok", reason: backlog.pending === 0 ? "nothing waiting" : unfinished, facts };
}

function logs({ logs }: Signals, config: HealthConfig): CheckResult {
	if (logs === null) return { state: "ok", reason: "CloudWatch Logs is off" };
	const facts = { dropped_since_start: logs.dropped };
	if (logs.droppedInWindow > 0) {
		return {
			state: "degraded",
			reason: `${count(logs.droppedInWindow, "log line", "log lines")} dropped before CloudWatch in the last ${duration(config.logsWindowMs)}`,
			facts,
		};
	}
	return { state: "ok", reason: `no line dropped in the last ${duration(config.logsWindowMs)}`, facts };
}

export const healthChecks: readonly CheckDefinition[] = [
	{ name: "store", title: "Event log", evaluate: (signals, config) => storeResult(signals.store, config) },
	{ name: "knack", title: "Knack", evaluate: knack },
	{ name: "backlog", title: "Payments waiting for Knack", evaluate: backlog },
	{ name: "logs", title: "CloudWatch logs", evaluate: logs },
];

/**
 * One line for the whole report: the worst check's reason, the first in the order above
 * when several are as bad, and how many others are not ok.
 */
export function summary(checks: Record<string, Pick<CheckResult, "state" | "reason">>): string {
	const entries = Object.entries(checks);
	const state = worst(entries.map(([, c]) => c.state));
	if (state === "ok") return `all ${count(entries.length, "check", "checks")} ok`;
	const troubled = entries.filter(([, c]) => c.state !== "ok");
	const [name, first] = troubled.find(([, c]) => c.state === state) as [string, CheckResult];
	const others = troubled.filter(([n]) => n !== name).map(([n, c]) => `${n} ${c.state}`);
	return `${name} ${state}: ${first.reason}${others.length > 0 ? ` (also ${others.join(", ")})` : ""}`;
}

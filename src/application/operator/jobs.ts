import { EventTypes } from "../../events/types.ts";
import type { JobResult, OperatorJob } from "../../storage/storage.ts";
import type { Actor, OperatorDeps } from "./deps.ts";
import { statusHistories } from "./history.ts";
import { createReplayer, outcomeText, type Replayer, type StatusOutcome } from "./replayer.ts";
import { recordRetryAllAudit } from "./retryAll.ts";

/**
 * Operator work that outlives the request that asked for it: a retry of many payments.
 * The job is in the store before anything else (who, which payments), then its audit in
 * the log, then each payment's retry, its result saved as it ends. The instance running
 * it holds a lease it renews; one that stops midway lets the lease run out (or gives it
 * up, stopping cleanly, after the payment in hand), and any instance on the store, this
 * one once restarted included, takes the job over and goes on from the first payment
 * without a result.
 *
 * Nothing runs twice: a payment is retried by the projector (run.ts), exactly once per
 * Knack write whoever runs it, so the payment in hand when an instance stopped is only
 * finished by the next holder. The audit stays true: it is recorded once, before any
 * call (a taker that finds it missing, because the first holder stopped in between,
 * records it then), and says who asked for which payments; what each retry wrote is in
 * that payment's own history, as every write is.
 */
export interface JobRunner {
	/** Records the job and its audit, then runs it in the background: resolves once it is recorded. */
	startRetryAll(actor: Actor, what: string, payments: number[]): Promise<OperatorJob>;
	/** Looks now and then for jobs whose holder stopped, and takes them over. */
	start(): void;
	/** Lets each job finish the payment in hand, saves it, and gives up its lease for another to take. */
	stop(): Promise<void>;
}

export interface JobRunnerOptions {
	/** how long a job's holder is trusted without a renewal; renewed three times as often */
	leaseMs: number;
	clock?: () => number;
}

export function createJobRunner(deps: Omit<OperatorDeps, "actor">, options: JobRunnerOptions): JobRunner {
	const { storage, logger } = deps;
	const { jobs } = storage;
	const clock = options.clock ?? Date.now;
	const holder = `${deps.holderPrefix}-jobs-${crypto.randomUUID().slice(0, 8)}`;
	const running = new Map<string, Promise<void>>();
	let timer: ReturnType<typeof setInterval> | null = null;
	let stopping = false;

	function launch(job: OperatorJob) {
		const done = run(job)
			.catch((error) => {
				logger.error("operator job failed; another pass will take it over", {
					job: job.id,
					error: (error as Error).message,
				});
				return jobs.save(job.id, holder, { leaseUntil: 0 }).then(() => {});
			})
			.finally(() => running.delete(job.id));
		running.set(job.id, done);
	}

	async function run(job: OperatorJob): Promise<void> {
		const log = logger.child({ job: job.id, operator: job.who });
		let lost = false;
		const renewal = setInterval(() => {
			jobs
				.save(job.id, holder, { leaseUntil: clock() + options.leaseMs })
				.then((held) => {
					lost ||= !held;
				})
				.catch((error) => log.warn("could not renew an operator job's lease", { error: (error as Error).message }));
		}, options.leaseMs / 3);
		renewal.unref?.();
		try {
			if (!job.audited) {
				if (!(await auditRecorded(job))) await recordRetryAllAudit(deps, job);
				if (!(await jobs.save(job.id, holder, { audited: true }))) return;
			}
			const replayer = createReplayer({ ...deps, actor: { who: job.who, by: job.by } }, undefined);
			const results: Record<string, JobResult> = { ...job.results };
			for (const citybaseId of job.payments) {
				if (results[citybaseId]) continue;
				if (stopping || lost) {
					// Given up for another holder to take at once; one that lost the job leaves it alone.
					if (!lost) await jobs.save(job.id, holder, { leaseUntil: 0 });
					log.info("operator job left for another instance", { done: Object.keys(results).length });
					return;
				}
				const result = await retryPayment(replayer, citybaseId);
				results[citybaseId] = result;
				if (!(await jobs.save(job.id, holder, { results, leaseUntil: clock() + options.leaseMs }))) return;
				if (result.state === "quota") {
					const left = job.payments.length - Object.keys(results).length;
					const note = `Stopped at the daily Knack quota's reserve: ${result.text}. ${left} ${left === 1 ? "payment was" : "payments were"} not retried.`;
					await jobs.save(job.id, holder, { state: "stopped", note, finishedAt: clock(), leaseUntil: 0 });
					log.warn("operator job stopped at the Knack quota", { left });
					return;
				}
			}
			await jobs.save(job.id, holder, { state: "finished", finishedAt: clock(), leaseUntil: 0 });
			log.info("operator job finished", { payments: job.payments.length });
		} finally {
			clearInterval(renewal);
		}
	}

	/** Every status of the payment a retry has something to do for, as the console's Retry of one payment. */
	async function retryPayment(replayer: Replayer, citybaseId: number): Promise<JobResult> {
		const outcomes: { status: string; outcome: StatusOutcome }[] = [];
		for (const history of statusHistories(await storage.events.byPayment(citybaseId))) {
			const outcome = await replayer.replayStatus(history, false);
			outcomes.push({ status: history.status, outcome });
			if (outcome.state === "quota") break;
		}
		const texts = outcomes
			.filter(({ outcome }) => outcome.state !== "nothing" || outcomes.length === 1)
			.map(({ status, outcome }) => `${outcomes.length > 1 ? `${status}: ` : ""}${outcomeText(outcome)}`);
		const text = texts.join("; ") || "nothing unfinished";
		const states = new Set(outcomes.map((o) => o.outcome.state));
		if (states.has("quota")) return { state: "quota", text };
		if (states.has("failed")) return { state: "failed", text };
		return { state: states.has("done") ? "done" : "nothing", text };
	}

	/** Whether the job's audit is in the log already: looked for only past the log's end when the job began. */
	async function auditRecorded(job: OperatorJob): Promise<boolean> {
		const last = await storage.events.lastSeq();
		for await (const event of storage.events.range(job.auditFrom + 1, last)) {
			if (event.type === EventTypes.operatorAction && event.data.job === job.id) return true;
		}
		return false;
	}

	async function takeOver() {
		if (stopping) return;
		for (;;) {
			const job = await jobs.takeOver(holder, clock(), clock() + options.leaseMs);
			if (!job) return;
			logger.info("operator job taken over", { job: job.id, done: Object.keys(job.results).length });
			launch(job);
		}
	}

	return {
		async startRetryAll(actor, what, payments) {
			const now = clock();
			const job: OperatorJob = {
				id: crypto.randomUUID(),
				...actor,
				what,
				payments,
				createdAt: now,
				state: "running",
				results: {},
				note: null,
				holder,
				leaseUntil: now + options.leaseMs,
				auditFrom: await storage.events.lastSeq(),
				audited: false,
				finishedAt: null,
			};
			await jobs.create(job);
			await recordRetryAllAudit(deps, job);
			await jobs.save(job.id, holder, { audited: true });
			const recorded = { ...job, audited: true };
			launch(recorded);
			return recorded;
		},
		start() {
			stopping = false;
			const look = () =>
				takeOver().catch((error) =>
					logger.warn("could not look for operator jobs to take over", { error: (error as Error).message }),
				);
			look();
			timer = setInterval(look, options.leaseMs);
			timer.unref?.();
		},
		async stop() {
			stopping = true;
			if (timer) clearInterval(timer);
			await Promise.all(running.values());
		},
	};
}

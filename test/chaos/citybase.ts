import type { ServiceProcess } from "./processes.ts";
import { type Payment, pick, postbackBody } from "./scenario.ts";

/**
 * CityBase as the service sees it: each payment's postbacks in order, each one
 * redelivered until it is answered 200; some delivered twice at the same instant to
 * both servers, some delivered again after their 200.
 */
export interface DeliveryPlan {
	payment: Payment;
	status: string;
	/** two copies at once, one to each server when both are up */
	twice: boolean;
	/** sent again some time after it was answered 200 */
	again: boolean;
}

export interface DeliveryStats {
	/** HTTP requests sent, by answer: the status, "connection error" or "no answer in time" */
	answers: Record<string, number>;
	/** postbacks answered 200, redeliveries not counted */
	applied: number;
	twice: number;
	redelivered: number;
	/** postbacks still not answered 200 when time ran out */
	unanswered: string[];
}

export interface CityBaseOptions {
	servers: ServiceProcess[];
	concurrency: number;
	/** no new request after this time (ms since the epoch) */
	until: number;
	requestTimeoutMs: number;
	rand: () => number;
	/** called each time a postback is first answered 200 */
	onApplied?: (applied: number) => void;
}

export function planDeliveries(payments: Payment[], rand: () => number, shares: { twice: number; again: number }) {
	return payments.map((payment) =>
		payment.case.statuses.map(
			(status): DeliveryPlan => ({ payment, status, twice: rand() < shares.twice, again: rand() < shares.again }),
		),
	);
}

export async function deliverAll(plans: DeliveryPlan[][], options: CityBaseOptions): Promise<DeliveryStats> {
	const stats: DeliveryStats = { answers: {}, applied: 0, twice: 0, redelivered: 0, unanswered: [] };
	const redeliveries: Promise<unknown>[] = [];
	const queue = [...plans];

	const anyLive = (): ServiceProcess | undefined =>
		pick(
			options.rand,
			options.servers.filter((s) => s.live),
		);

	const send = async (server: ServiceProcess | undefined, body: string): Promise<boolean> => {
		const url = server?.url;
		if (!url) return false;
		const answer = await fetch(`${url}/citybase_postback`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body,
			signal: AbortSignal.timeout(options.requestTimeoutMs),
		})
			.then(async (r) => {
				await r.arrayBuffer();
				return String(r.status);
			})
			.catch((error: Error) => (error.name === "TimeoutError" ? "no answer in time" : "connection error"));
		stats.answers[answer] = (stats.answers[answer] ?? 0) + 1;
		return answer === "200";
	};

	/** CityBase's retry loop: the same bytes again, after a pause, until 200 or out of time. */
	const deliver = async (body: string, first = anyLive()): Promise<boolean> => {
		let target = first;
		while (Date.now() < options.until) {
			if (await send(target, body)) return true;
			await Bun.sleep(100 + options.rand() * 400);
			target = anyLive();
		}
		return false;
	};

	const postback = async (plan: DeliveryPlan): Promise<boolean> => {
		const body = postbackBody(plan.payment, plan.status);
		let ok: boolean;
		if (plan.twice) {
			stats.twice++;
			// One copy to each server; both to the same one while the other is down.
			const live = options.servers.filter((s) => s.live);
			const targets = [live[0], live[1] ?? live[0]];
			ok = (await Promise.all(targets.map((server) => deliver(body, server)))).every(Boolean);
		} else {
			ok = await deliver(body);
		}
		if (!ok) {
			stats.unanswered.push(`${plan.payment.id} ${plan.status}`);
			return false;
		}
		options.onApplied?.(++stats.applied);
		if (plan.again) {
			stats.redelivered++;
			redeliveries.push(
				Bun.sleep(options.rand() * 2000).then(async () => {
					if (!(await deliver(body))) stats.unanswered.push(`${plan.payment.id} ${plan.status} (again)`);
				}),
			);
		}
		return true;
	};

	const worker = async () => {
		for (let plan = queue.shift(); plan; plan = queue.shift()) {
			for (const step of plan) if (!(await postback(step))) break;
		}
	};
	await Promise.all(Array.from({ length: options.concurrency }, worker));
	await Promise.all(redeliveries);
	return stats;
}

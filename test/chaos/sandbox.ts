import { fieldMaps, objects } from "../../src/projections/knack/fieldMaps.ts";
import type { Fault, FormattedRecord, RecordedCall } from "../../src/sandbox/knack.ts";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import type { App, Payment } from "./scenario.ts";

/**
 * The sandbox seen from another process, through its control endpoints: seed the
 * records the payments need, queue faults, read what the service wrote.
 */
export const fields = fieldMaps.UAT;
export const appId = (app: App) => sandboxCredentials[app].appId;
export const PENDING = "Pending Payment";
export const INVOICED = "INVOICED";

export interface SandboxStats {
	total: number;
	byStatus: Record<string, number>;
	byMethodAndStatus: Record<string, number>;
	faultsQueued: number;
}

export class SandboxControl {
	constructor(private readonly base: string) {}

	private async call(method: string, path: string, body?: unknown): Promise<unknown> {
		const response = await fetch(`${this.base}/__sandbox/${path}`, {
			method,
			headers: { "content-type": "application/json" },
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
		});
		if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
		return response.json();
	}

	put(app: App, objectKey: string, record: Record<string, unknown>): Promise<unknown> {
		return this.call("POST", `records/${appId(app)}/${objectKey}`, record);
	}

	records(app: App, objectKey: string): Promise<FormattedRecord[]> {
		return this.call("GET", `records/${appId(app)}/${objectKey}`) as Promise<FormattedRecord[]>;
	}

	inject(fault: Fault): Promise<unknown> {
		return this.call("POST", "faults", fault);
	}

	clearFaults(): Promise<unknown> {
		return this.call("DELETE", "faults");
	}

	calls(): Promise<RecordedCall[]> {
		return this.call("GET", "calls") as Promise<RecordedCall[]>;
	}

	stats(): Promise<SandboxStats> {
		return this.call("GET", "stats") as Promise<SandboxStats>;
	}
}

export function parentObject(p: Payment): string {
	return p.case.app === "SMART_MOBILITY"
		? objects.SMART_MOBILITY.parents.BLOCK_PARTY
		: objects.STREET_BANNER.parents[p.parent as "LAMPPOST" | "OVER_THE_STREET"];
}

export function parentFields(p: Payment) {
	const parent = fields[p.case.app].parents[p.parent];
	if (!parent) throw new Error(`no fields for parent ${p.parent}`);
	return parent;
}

/** The reservation and the transaction a payment refers to, as the invoice left them. */
export async function seed(control: SandboxControl, p: Payment): Promise<void> {
	const parent = parentFields(p);
	await control.put(p.case.app, parentObject(p), {
		id: p.parentId,
		[parent.application_status]: PENDING,
		[parent.payment_received]: false,
		[parent.payment_date]: "",
	});
	const t = fields[p.case.app].transactions;
	await control.put(p.case.app, objects[p.case.app].transactions, {
		id: p.transactionId,
		[t.transaction_status]: INVOICED,
		[t.transaction_paid_date]: "",
		...(p.case.app === "STREET_BANNER" ? refundSource(p) : {}),
	});
}

/** Seeds every payment's records, a few requests at a time. */
export async function seedAll(control: SandboxControl, payments: Payment[]): Promise<void> {
	const queue = [...payments];
	const worker = async () => {
		for (let p = queue.shift(); p; p = queue.shift()) await seed(control, p);
	};
	await Promise.all(Array.from({ length: 8 }, worker));
}

/** The fields a Street Banner refund copies from its original transaction. */
export function refundSource(p: Payment): Record<string, unknown> {
	const refund = fields.STREET_BANNER.refund;
	if (!refund) throw new Error("Street Banner has refund fields");
	const connection = [{ id: p.parentId, identifier: String(p.id % 1000) }];
	return {
		[refund.customer_name]: `Customer ${p.id}`,
		[refund.event_name]: `Event for ${p.invoice}`,
		[refund.type]: p.parent === "OVER_THE_STREET" ? "Over the Street" : "Lamppost",
		[refund.sub_description]: `${p.invoice} - somewhere in Austin`,
		[refund.banner_reservations_lpb]: p.parent === "LAMPPOST" ? connection : [],
		[refund.banner_reservations_ots]: p.parent === "OVER_THE_STREET" ? connection : [],
	};
}

import type { AcceptedRef, Storage } from "../../storage/storage.ts";
import { type StatusHistory, statusHistories } from "./history.ts";

/**
 * Which part of the log a replay covers. The unit of work is a (payment, status), as
 * for exactly-once: duplicate deliveries of one select it once. A range is read with
 * `queries.acceptedIn`, page by page, and the payments of each page's deliveries are loaded
 * together, so memory stays flat however long the log is.
 */
export type Selection =
	| { kind: "payment"; citybaseId: number }
	| { kind: "invoice"; invoice: string }
	/** `to` is the last position when the range was chosen; `openEnded` when no end was given */
	| { kind: "range"; from: number; to: number; all: boolean; openEnded: boolean };

/** What an operator asks for, before a range is pinned to the log's current end. */
export type SelectionRequest =
	| { kind: "payment"; citybaseId: number }
	| { kind: "invoice"; invoice: string }
	| { kind: "range"; from?: number; to?: number }
	| { kind: "all" };

export interface Selected {
	history: StatusHistory;
	/** position of the delivery that selected it: selections are visited in increasing position */
	position: number;
	/** how many accepted deliveries the scan went past for it */
	scanned: number;
}

export class SelectionError extends Error {}

export async function resolveSelection(storage: Storage, request: SelectionRequest): Promise<Selection> {
	if (request.kind === "payment" || request.kind === "invoice") return request;
	const last = await storage.events.lastSeq();
	const ranged = request.kind === "range";
	const from = (ranged ? request.from : undefined) ?? 1;
	const to = (ranged ? request.to : undefined) ?? last;
	if (from > to) throw new SelectionError(`--from ${from} is after --to ${to}`);
	return { kind: "range", from, to, all: !ranged, openEnded: !ranged || request.to === undefined };
}

export function describeSelection(selection: Selection): string {
	switch (selection.kind) {
		case "payment":
			return `--payment ${selection.citybaseId}`;
		case "invoice":
			return `--invoice ${selection.invoice}`;
		case "range":
			if (selection.all) return "--all";
			return `--from ${selection.from}${selection.openEnded ? "" : ` --to ${selection.to}`}`;
	}
}

/** How many accepted deliveries the selection spans: what a progress bar counts to. */
export async function selectionSize(storage: Storage, selection: Selection): Promise<number> {
	if (selection.kind === "range") return storage.queries.countAccepted(selection.from, selection.to);
	return (await historiesOf(storage, selection)).reduce((n, h) => n + h.deliveries.length, 0);
}

/** Each selected (payment, status) once, in increasing position. */
export async function* selectedStatuses(storage: Storage, selection: Selection): AsyncGenerator<Selected> {
	if (selection.kind !== "range") {
		for (const history of await historiesOf(storage, selection)) {
			yield { history, position: history.deliveries[0]?.acceptedSeq ?? 0, scanned: history.deliveries.length };
		}
		return;
	}
	const { from, to } = selection;
	let waiting: AcceptedRef[] = [];
	let scanned = 0;
	// Accepted deliveries are gathered a page at a time so their payments' events come in one query.
	async function* page(): AsyncGenerator<Selected> {
		const byPayment = await storage.queries.paymentsEvents([...new Set(waiting.map((e) => e.citybaseId))]);
		// A payment's histories once per page, however many of its deliveries the page holds.
		const histories = new Map<number, StatusHistory[]>();
		for (const accepted of waiting) {
			scanned++;
			let ofPayment = histories.get(accepted.citybaseId);
			if (!ofPayment) {
				ofPayment = statusHistories(byPayment.get(accepted.citybaseId) ?? []);
				histories.set(accepted.citybaseId, ofPayment);
			}
			const history = ofPayment.find((h) => h.status === accepted.status);
			// An earlier delivery of the same (payment, status) in the range has selected it already.
			if (!history || history.deliveries.some((d) => d.acceptedSeq >= from && d.acceptedSeq < accepted.seq)) continue;
			yield { history, position: accepted.seq, scanned };
			scanned = 0;
		}
		waiting = [];
	}
	for await (const accepted of storage.queries.acceptedIn(from, to)) {
		waiting.push(accepted);
		if (waiting.length === 250) yield* page();
	}
	yield* page();
}

async function historiesOf(
	storage: Storage,
	selection: Exclude<Selection, { kind: "range" }>,
): Promise<StatusHistory[]> {
	return statusHistories(
		selection.kind === "payment"
			? await storage.events.byPayment(selection.citybaseId)
			: await storage.events.byInvoice(selection.invoice),
	);
}

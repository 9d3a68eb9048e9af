import type { OpenDatabase } from "../events/database.ts";
import type { EventStore } from "../events/store.ts";
import { EventTypes, type StoredEvent } from "../events/types.ts";
import { type Args, flag, integerOption, parseInteger, stringOption, UsageError } from "./command.ts";
import { type StatusHistory, statusHistories } from "./history.ts";
import { countAccepted, paymentsEvents } from "./queries.ts";

/**
 * Which part of the log a replay covers. The unit of work is a (payment, status), as
 * for exactly-once: duplicate deliveries of one select it once. A range is read with
 * `store.range`, page by page, and the payments of each page's deliveries are loaded
 * together, so memory stays flat however long the log is.
 */
export type Selection =
	| { kind: "payment"; citybaseId: number }
	| { kind: "invoice"; invoice: string }
	/** `to` is the last position when the range was chosen; `openEnded` when no --to was given */
	| { kind: "range"; from: number; to: number; all: boolean; openEnded: boolean };

export interface Selected {
	history: StatusHistory;
	/** position of the delivery that selected it: selections are visited in increasing position */
	position: number;
}

export const selectionOptions = {
	payment: { type: "string", value: "ID", description: "one CityBase payment (all its statuses)" },
	invoice: { type: "string", value: "INV", description: "every payment of one invoice" },
	from: { type: "string", value: "SEQ", description: "deliveries from log position SEQ (with --to, or to the end)" },
	to: { type: "string", value: "SEQ", description: "deliveries up to log position SEQ" },
	all: { type: "boolean", description: "the whole log" },
} as const;

export function parseSelection(args: Args, store: () => EventStore): Selection {
	const payment = stringOption(args, "payment");
	const invoice = stringOption(args, "invoice");
	const from = integerOption(args, "from", 1);
	const to = integerOption(args, "to", 1);
	const ranged = from !== undefined || to !== undefined;
	const chosen = [payment !== undefined, invoice !== undefined, ranged, flag(args, "all")].filter(Boolean).length;
	if (chosen !== 1) throw new UsageError("choose exactly one of --payment, --invoice, --from/--to, --all");
	if (payment !== undefined) return { kind: "payment", citybaseId: parseInteger(payment, "--payment") };
	if (invoice !== undefined) return { kind: "invoice", invoice };
	const last = store().lastSeq();
	const range = { kind: "range" as const, from: from ?? 1, to: to ?? last, all: !ranged, openEnded: to === undefined };
	if (range.from > range.to) throw new UsageError(`--from ${range.from} is after --to ${range.to}`);
	return range;
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
export function selectionSize(open: OpenDatabase, store: EventStore, selection: Selection): number {
	if (selection.kind === "range") return countAccepted(open, selection.from, selection.to);
	return historiesOf(store, selection).reduce((n, h) => n + h.deliveries.length, 0);
}

/** Each selected (payment, status) once, with how many accepted deliveries the scan went past for it. */
export function* selectedStatuses(
	open: OpenDatabase,
	store: EventStore,
	selection: Selection,
): Generator<Selected & { scanned: number }, void, undefined> {
	if (selection.kind !== "range") {
		for (const history of historiesOf(store, selection)) {
			yield { history, position: history.deliveries[0]?.acceptedSeq ?? 0, scanned: history.deliveries.length };
		}
		return;
	}
	const { from, to } = selection;
	const eventsOf = paymentsEvents(open);
	let waiting: StoredEvent[] = [];
	let scanned = 0;
	// Accepted deliveries are gathered a page at a time so their payments' events come in one query.
	function* page(): Generator<Selected & { scanned: number }, void, undefined> {
		const byPayment = eventsOf([...new Set(waiting.map((e) => e.citybaseId as number))]);
		for (const event of waiting) {
			scanned++;
			const history = statusHistories(byPayment.get(event.citybaseId as number) ?? []).find(
				(h) => h.status === event.paymentStatus,
			);
			// An earlier delivery of the same (payment, status) in the range has selected it already.
			if (!history || history.deliveries.some((d) => d.acceptedSeq >= from && d.acceptedSeq < event.seq)) continue;
			yield { history, position: event.seq, scanned };
			scanned = 0;
		}
		waiting = [];
	}
	for (const event of store.range(from, to)) {
		if (event.type !== EventTypes.accepted || event.citybaseId === null) continue;
		waiting.push(event);
		if (waiting.length === 250) yield* page();
	}
	yield* page();
}

function historiesOf(store: EventStore, selection: Exclude<Selection, { kind: "range" }>): StatusHistory[] {
	return statusHistories(
		selection.kind === "payment" ? store.byPayment(selection.citybaseId) : store.byInvoice(selection.invoice),
	);
}

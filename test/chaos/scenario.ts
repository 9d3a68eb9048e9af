import { pythonNumberText } from "../../src/events/payload.ts";
import { postback } from "../support/payloads.ts";

/**
 * The payments a chaos run makes, drawn from every docs/design.md §4 case, and the Knack records
 * they need seeded: each payment gets its own transaction and reservation, so the end
 * state of every one can be checked on its own.
 */
export type App = "STREET_BANNER" | "SMART_MOBILITY";
export type Parent = "LAMPPOST" | "OVER_THE_STREET" | "BLOCK_PARTY";

export interface Case {
	name: string;
	app: App;
	bannerType: "LAMPPOST" | "OVER_THE_STREET" | null;
	/** delivered in this order, each once the previous one was answered 200 (as CityBase does) */
	statuses: string[];
}

export interface Payment {
	id: number;
	case: Case;
	invoice: string;
	amount: number;
	/** the refund record's amount as the service must write it */
	refundAmount: string;
	transactionId: string;
	parentId: string;
	parent: Parent;
	/** older Street Banner invoices carry no knack_app */
	omitsApp: boolean;
}

const sb = (name: string, bannerType: Case["bannerType"], statuses: string[]): Case => ({
	name,
	app: "STREET_BANNER",
	bannerType,
	statuses,
});
const sm = (name: string, statuses: string[]): Case => ({ name, app: "SMART_MOBILITY", bannerType: null, statuses });

export const cases: Case[] = [
	sb("SB lamppost successful", "LAMPPOST", ["successful"]),
	sb("SB lamppost voided", "LAMPPOST", ["voided"]),
	sb("SB lamppost successful then refunded", "LAMPPOST", ["successful", "refunded"]),
	sb("SB over-the-street successful", "OVER_THE_STREET", ["successful"]),
	sb("SB over-the-street voided", "OVER_THE_STREET", ["voided"]),
	sb("SB over-the-street successful then refunded", "OVER_THE_STREET", ["successful", "refunded"]),
	sb("SB over-the-street refunded", "OVER_THE_STREET", ["refunded"]),
	sb("SB no banner type successful", null, ["successful"]),
	sb("SB no banner type successful then refunded", null, ["successful", "refunded"]),
	sb("SB unknown status", "LAMPPOST", ["failed"]),
	sm("SM successful", ["successful"]),
	sm("SM voided", ["voided"]),
	sm("SM successful then refunded", ["successful", "refunded"]),
	sm("SM pending then successful", ["pending", "successful"]),
];

/** A small seeded PRNG (mulberry32): the same seed draws the same payments. */
export function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** A random item; undefined only when there is none. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
	return items[Math.floor(rand() * items.length)] as T;
}

/** Payments whose statuses add up to exactly `postbacks` distinct (payment, status) deliveries. */
export function drawPayments(postbacks: number, rand: () => number): Payment[] {
	const singles = cases.filter((c) => c.statuses.length === 1);
	const tag = Math.floor(rand() * 0xffffff)
		.toString(16)
		.padStart(6, "0");
	const payments: Payment[] = [];
	let total = 0;
	while (total < postbacks) {
		const drawn = pick(rand, cases);
		const chosen = total + drawn.statuses.length > postbacks ? pick(rand, singles) : drawn;
		payments.push(payment(payments.length, chosen, tag, rand));
		total += chosen.statuses.length;
	}
	return payments;
}

function payment(index: number, chosen: Case, tag: string, rand: () => number): Payment {
	// Whole amounts and halves: both spellings of a JSON number reach the refund amount.
	const amount = Math.floor(rand() * 9000 + 100) + (rand() < 0.3 ? 0.5 : 0);
	const recordId = (kind: number) => `c4a0${tag}${kind}${index.toString(16).padStart(13, "0")}`;
	return {
		id: 91_000_000 + index,
		case: chosen,
		invoice: `CHAOS-${tag}-${index}`,
		amount,
		refundAmount: `-${pythonNumberText(String(amount), amount)}`,
		transactionId: recordId(1),
		parentId: recordId(2),
		parent: chosen.app === "SMART_MOBILITY" ? "BLOCK_PARTY" : (chosen.bannerType ?? "LAMPPOST"),
		omitsApp: chosen.app === "STREET_BANNER" && rand() < 0.5,
	};
}

/** The postback CityBase sends for a payment reaching `status`. */
export function postbackBody(p: Payment, status: string): string {
	return JSON.stringify(
		postback({
			id: p.id,
			status,
			invoice: p.invoice,
			knackRecordId: p.transactionId,
			parentRecordId: p.parentId,
			app: p.omitsApp ? null : p.case.app,
			bannerType: p.case.bannerType,
			totalAmount: p.amount,
		}),
	);
}

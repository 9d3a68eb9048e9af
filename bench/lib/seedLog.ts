import { type KnackAppName, type Payment, parseDelivery } from "../../src/events/payload.ts";
import { type EffectKind, EventTypes } from "../../src/events/types.ts";
import { effectKey, planPostback } from "../../src/projections/knack/plan.ts";
import { createPaymentsReadModel } from "../../src/projections/payments.ts";
import { openStorage, type StorageConfig } from "../../src/storage/open.ts";
import type { ImportedEvent, Storage } from "../../src/storage/storage.ts";
import { postback } from "../../test/support/payloads.ts";

/**
 * A log of realistic events, written fast through the store's importer: the events the
 * service would have written for months of CityBase traffic (both apps, successful
 * payments later refunded or voided, unknown statuses, duplicates, rejected deliveries,
 * Knack failures finished by recovery, a few dead-lettered, a few still pending), with
 * exact positions, in batches of one transaction each. Bodies go in clear; a store with
 * keys seals them as it imports them, as it would an old export. Deterministic: the same
 * target and end time give the same log.
 */

export interface SeedOptions {
	/** when the last delivery was received (ms); earlier ones are spaced `spacingMs` apart before it */
	endAt?: number;
	spacingMs?: number;
}

export interface SeedResult {
	events: number;
	byType: Map<string, number>;
	deliveries: number;
	payments: number;
	duplicates: number;
	/** accepted deliveries neither applied nor dead-lettered when the log ends */
	pending: number;
}

/** About 5.8 events a delivery, what the mix below makes: what `endAt` is counted back from. */
const eventsPerDelivery = 5.8;
const batchSize = 5000;
const sentinelId = 987_654_321_987;
/** What recovery does to a payment Knack keeps failing, minutes after it was received. */
const recoveryDelaysMs = { retry: 90_000, attempts: [90_000, 1_800_000, 36_000_000], deadLetter: 72 * 3_600_000 };

type Status = "successful" | "refunded" | "voided" | "unknown";
interface Variant {
	app: KnackAppName;
	status: Status;
	bannerType: Payment["bannerType"];
}
interface PaymentIds {
	citybaseId: number;
	invoice: string;
	knackRecordId: string;
	parentRecordId: string;
}

/** A CityBase body with placeholders for what differs between payments; checked once against the parser. */
interface Template {
	variant: Variant;
	fill(ids: PaymentIds): string;
	payment(ids: PaymentIds): Payment;
	/** what the projector does for it: one Knack write per kind, in order */
	effects: { kind: EffectKind; method: string; objectKey: string }[];
}

function template(variant: Variant): Template {
	const parented = variant.status === "successful";
	const text = JSON.stringify(
		postback({
			id: sentinelId,
			status: variant.status,
			invoice: "__INV__",
			knackRecordId: "__REC__",
			parentRecordId: parented ? "__PAR__" : null,
			app: variant.app === "SMART_MOBILITY" ? variant.app : null,
			bannerType: variant.bannerType,
		}),
	);
	const fill = (ids: PaymentIds) =>
		text
			.replace(String(sentinelId), String(ids.citybaseId))
			.replace("__INV__", ids.invoice)
			.replace("__REC__", ids.knackRecordId)
			.replace("__PAR__", ids.parentRecordId);
	const payment = (ids: PaymentIds): Payment => ({
		citybaseId: ids.citybaseId,
		status: variant.status,
		app: variant.app,
		invoice: ids.invoice,
		knackRecordId: ids.knackRecordId,
		parentRecordId: parented ? ids.parentRecordId : null,
		bannerType: variant.bannerType,
		totalAmountText: "6000",
	});
	// The events are written without parsing each body: check once that the parser makes the same payment of it.
	const sample = idsOf(1);
	const verdict = parseDelivery(Buffer.from(fill(sample)));
	if (!verdict.accepted || JSON.stringify(verdict.payment) !== JSON.stringify(payment(sample))) {
		throw new Error(`the seed's ${JSON.stringify(variant)} payment differs from its body: ${JSON.stringify(verdict)}`);
	}
	const effects = planPostback(payment(sample), { fieldMap: "PRODUCTION", recordedAt: 0 }).effects.map((e) => ({
		kind: e.kind,
		method: e.method,
		objectKey: e.objectKey,
	}));
	return { variant, fill, payment, effects };
}

const hex24 = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(22, "0")}`;
const idsOf = (n: number): PaymentIds => ({
	citybaseId: 70_000_000 + n,
	invoice: `INV2025-${100_000 + n}`,
	knackRecordId: hex24("63", n),
	parentRecordId: hex24("64", n),
});

/** Bodies the parser refuses, with the reason it gives, checked once like the accepted ones. */
function rejectedBodies(): { body: string; reason: string }[] {
	const noParent = JSON.stringify(postback({ id: 70_000_000, status: "successful" }));
	return [noParent, noParent.slice(0, 200)].map((body) => {
		const verdict = parseDelivery(Buffer.from(body));
		if (verdict.accepted) throw new Error("the seed's rejected body was accepted");
		return { body, reason: verdict.reason };
	});
}

/** mulberry32: a small seeded generator, so the log is the same every run. */
function random(seed: number): () => number {
	let a = seed;
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

type Row = Omit<ImportedEvent, "seq">;

export async function seedLog(storage: Storage, target: number, options: SeedOptions = {}): Promise<SeedResult> {
	if ((await storage.events.lastSeq()) !== 0) throw new Error(`${storage.location} already holds events`);
	const spacingMs = options.spacingMs ?? 60_000;
	const endAt = options.endAt ?? Date.now();
	const importer = storage.transfer.importer();
	const rng = random(16);
	const templates = new Map<string, Template>();
	const templateOf = (variant: Variant) => {
		const key = `${variant.app}:${variant.status}:${variant.bannerType}`;
		const known = templates.get(key);
		if (known) return known;
		const made = template(variant);
		templates.set(key, made);
		return made;
	};
	const rejected = rejectedBodies();
	const result: SeedResult = { events: 0, byType: new Map(), deliveries: 0, payments: 0, duplicates: 0, pending: 0 };
	const unfinished = new Set<number>();
	let batch: { event: ImportedEvent; lineNumber: number }[] = [];
	let records = 0;

	/** One transaction of the service's: its events get the next positions, all or none of them. */
	const write = async (rows: Row[]): Promise<number> => {
		const first = result.events + 1;
		for (const row of rows) {
			const seq = ++result.events;
			batch.push({ event: { seq, ...row }, lineNumber: seq });
			result.byType.set(row.type, (result.byType.get(row.type) ?? 0) + 1);
			if (row.type === EventTypes.accepted) unfinished.add(seq - 1);
			if (row.type === EventTypes.applied || row.type === EventTypes.deadLettered) {
				unfinished.delete(row.deliverySeq as number);
			}
		}
		if (batch.length >= batchSize) {
			await importer.apply(batch);
			batch = [];
		}
		return first;
	};

	/** Knack work that happens later than the next deliveries (recovery), kept in time order. */
	const later: { at: number; run: () => Promise<void> }[] = [];
	const schedule = (at: number, run: () => Promise<void>) => {
		let i = later.length;
		while (i > 0 && (later[i - 1] as { at: number }).at > at) i--;
		later.splice(i, 0, { at, run });
	};

	const tied = (deliverySeq: number, p: Payment, at: number) => ({
		recordedAt: at,
		deliverySeq,
		citybaseId: p.citybaseId,
		paymentStatus: p.status,
		invoice: p.invoice,
		body: null,
	});
	const outcome = (
		deliverySeq: number,
		p: Payment,
		t: Template,
		kind: EffectKind,
		at: number,
		by: string,
		failure?: { knackStatus: number | null; error: string },
	): Row => {
		const e = t.effects.find((x) => x.kind === kind) as Template["effects"][number];
		const planned = kind === "parent" ? p.parentRecordId : kind === "transaction" ? p.knackRecordId : null;
		const base = { kind, by, objectKey: e.objectKey, durationMs: 80 + Math.round(rng() * 400) };
		const data = failure
			? { ...base, method: e.method, recordId: planned, ...failure, certain: (failure.knackStatus ?? 500) < 500 }
			: { ...base, method: e.method, recordId: planned ?? hex24("6a", ++records), knackStatus: 200, via: "call" };
		return {
			...tied(deliverySeq, p, at),
			type: failure ? EventTypes.effectFailed : EventTypes.effectSucceeded,
			effectKey: effectKey(p, kind),
			data: JSON.stringify(data),
		};
	};
	const applied = (deliverySeq: number, p: Payment, at: number, performed: number, skipped: number): Row => ({
		...tied(deliverySeq, p, at),
		type: EventTypes.applied,
		effectKey: null,
		data: JSON.stringify({ performed, skipped }),
	});
	const knackDown = { knackStatus: 502, error: '{"message":"Bad Gateway"}' };

	const receive = async (body: string, at: number, verdict: Row): Promise<number> => {
		result.deliveries++;
		const received: Row = {
			type: EventTypes.received,
			recordedAt: at,
			deliverySeq: null,
			citybaseId: null,
			paymentStatus: null,
			invoice: null,
			effectKey: null,
			body: Buffer.from(body),
			data: JSON.stringify({
				contentType: "application/json",
				remoteAddress: "203.0.113.7",
				requestId: `6f9619ff-8b86-4011-b42d-${(result.deliveries % 2 ** 48).toString(16).padStart(12, "0")}`,
			}),
		};
		const deliverySeq = result.events + 1;
		await write([received, { ...verdict, deliverySeq }]);
		return deliverySeq;
	};

	/** A delivery of payment `ids` in `variant`, and what the projector and recovery then wrote. */
	const deliver = async (
		t: Template,
		ids: PaymentIds,
		at: number,
		fate: "applied" | "duplicate" | "retried" | "dead" | "pending",
	) => {
		const p = t.payment(ids);
		const seq = await receive(t.fill(ids), at, {
			...tied(0, p, at),
			type: EventTypes.accepted,
			effectKey: null,
			data: JSON.stringify({ payment: p }),
		});
		if (fate === "pending") return;
		// recordOutcomes writes a run's outcomes in one transaction, stamped when the run ended.
		const kinds = t.effects.map((e) => e.kind);
		if (fate === "duplicate") {
			await write([applied(seq, p, at + 20, 0, kinds.length)]);
			return;
		}
		if (fate === "applied") {
			const end = at + 150 * kinds.length;
			await write([...kinds.map((k) => outcome(seq, p, t, k, end, "postback")), applied(seq, p, end, kinds.length, 0)]);
			return;
		}
		// Knack fails on the last write, twice within the postback's deadline: the delivery is left to recovery.
		const failing = kinds.at(-1) as EffectKind;
		const done = kinds.slice(0, -1);
		const end = at + 150 * kinds.length + 3000;
		await write([
			...done.map((k) => outcome(seq, p, t, k, end, "postback")),
			outcome(seq, p, t, failing, end, "postback", knackDown),
			outcome(seq, p, t, failing, end, "postback", knackDown),
		]);
		if (fate === "retried") {
			const at2 = at + recoveryDelaysMs.retry;
			schedule(at2, async () => {
				await write([outcome(seq, p, t, failing, at2, "recovery"), applied(seq, p, at2 + 150, 1, done.length)]);
			});
			return;
		}
		for (const delay of recoveryDelaysMs.attempts) {
			schedule(at + delay, async () => {
				await write([outcome(seq, p, t, failing, at + delay, "recovery", knackDown)]);
			});
		}
		const dead = at + recoveryDelaysMs.deadLetter;
		schedule(dead, async () => {
			await write([
				{
					...tied(seq, p, dead),
					type: EventTypes.deadLettered,
					effectKey: null,
					data: JSON.stringify({
						reason: "still incomplete after 72 hours",
						attempts: recoveryDelaysMs.attempts.length,
					}),
				},
			]);
		});
	};

	const settled: { ids: PaymentIds; app: KnackAppName }[] = [];
	let at = endAt - Math.round(target / eventsPerDelivery) * spacingMs;
	while (result.events < target) {
		// Spaced so that the log ends at `endAt` whatever the mix made of the events so far: its last
		// deliveries are recent, as those of a log in use are.
		at += Math.max(1000, Math.round((endAt - at) / Math.max(1, (target - result.events) / eventsPerDelivery)));
		while (later.length > 0 && (later[0] as { at: number }).at <= at && result.events < target) {
			await (later.shift() as { run: () => Promise<void> }).run();
		}
		if (result.events >= target) break;
		const r = rng();
		if (r < 0.02) {
			const { body, reason } = rejected[Math.floor(rng() * rejected.length)] as { body: string; reason: string };
			const none = { deliverySeq: null, citybaseId: null, paymentStatus: null, invoice: null, effectKey: null };
			await receive(body, at, {
				...none,
				type: EventTypes.rejected,
				recordedAt: at,
				body: null,
				data: JSON.stringify({ reason }),
			});
			continue;
		}
		// A later status of an earlier successful payment (refunded, voided), or a new payment.
		const earlier = r < 0.1 && settled.length > 0 ? settled[Math.floor(rng() * settled.length)] : undefined;
		const ids = earlier?.ids ?? idsOf(++result.payments);
		const app: KnackAppName = earlier?.app ?? (rng() < 0.7 ? "STREET_BANNER" : "SMART_MOBILITY");
		const status: Status = earlier ? (r < 0.065 ? "refunded" : "voided") : r < 0.12 ? "unknown" : "successful";
		const bannerType =
			app === "STREET_BANNER" && status === "successful" ? (rng() < 0.5 ? "LAMPPOST" : "OVER_THE_STREET") : null;
		const t = templateOf({ app, status, bannerType });
		const f = rng();
		// The log ends with a few postbacks in flight. It ends healthy: no dead letter in its last 24 hours,
		// none still pending for long (GET / would answer 503, and the bench waits for a 200).
		const inFlight = target - result.events <= 6;
		const deadLetterFits = at + recoveryDelaysMs.deadLetter < endAt - 24 * 3_600_000;
		const fate = inFlight ? "pending" : f < 0.02 ? "retried" : f < 0.022 && deadLetterFits ? "dead" : "applied";
		await deliver(t, ids, at, fate);
		if (status === "successful") {
			settled.push({ ids, app });
			if (settled.length > 1000) settled.shift();
		}
		// CityBase delivers some payments twice: the second is answered from the log.
		if (fate === "applied" && rng() < 0.03 && result.events < target) {
			result.duplicates++;
			await deliver(t, ids, at + 5000, "duplicate");
		}
	}
	if (batch.length > 0) await importer.apply(batch);
	result.pending = unfinished.size;
	return result;
}

/**
 * Seeds a new store and folds its read model, as a service that had written the log
 * would have left it: the service folds whatever its read model lacks once a second,
 * which would otherwise run beside whatever is measured on the seeded store.
 */
export async function seedStore(
	config: StorageConfig,
	target: number,
): Promise<SeedResult & { seedSeconds: number; foldSeconds: number }> {
	const storage = await openStorage(config);
	try {
		const started = performance.now();
		const result = await seedLog(storage, target);
		const seeded = performance.now();
		await createPaymentsReadModel(storage.readModel).catchUp();
		return { ...result, seedSeconds: (seeded - started) / 1000, foldSeconds: (performance.now() - seeded) / 1000 };
	} finally {
		await storage.close();
	}
}

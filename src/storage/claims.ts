import { type EffectKind, EventTypes, type Outcome, type ProjectedBy } from "../events/types.ts";
import { command, type Dialect, query, type Work } from "./sql.ts";
import type { ClaimRequest, ClaimResult } from "./storage.ts";

/**
 * How a claim works, all of it. A claim says who is projecting a (payment, status) into
 * Knack right now, so that two deliveries of one payment, in one process or in several,
 * never both write. It is coordination state, not history: a row of `claims` exists while
 * its holder works, under a lease.
 *
 * - The key: one claim per (payment, status), the logical key of its effects less the
 *   effect kind (`claimKey`).
 * - Take: a postback's claim is taken with its delivery's append, in that transaction
 *   (one durable commit fewer before the first Knack call); recovery, a replay or a
 *   postback that found it held takes it alone (`EventStore.claim`). A claim held by
 *   another whose lease still runs is not taken: the taker waits and asks again.
 * - Takeover: a claim whose lease ran out is taken over; its holder died mid-projection,
 *   so an insert it sent may have reached Knack unrecorded. The taker is told it
 *   `inherited` that doubt, and records it in the log before anything else
 *   (`takeoverDoubt`): if the taker dies too, the next one still knows to look in Knack
 *   before inserting.
 * - Release: the holder deletes its claim in the transaction that records its outcomes.
 * - A stale claim: a delivery found with nothing left to do drops the key's claim if its
 *   lease ran out, or if it was taken for this same delivery (by its append, or an earlier
 *   attempt at it). Either holder died after the writes were done, and its doubt no longer
 *   matters; the key's work is done, so nobody else would ever take that claim over. A
 *   claim taken by an append whose process then died would otherwise stay held until its
 *   lease ran out, and every redelivery would wait for it.
 */
export const claimKey = (citybaseId: number, status: string) => `${citybaseId}:${status}`;

/** Whether a claim's holder may still be working: until then nobody else takes it. */
export const leaseRunning = (claim: { expiresAt: number }, now: number) => claim.expiresAt > now;

/**
 * Takes the claim unless another holder's lease runs. No row yet: the insert takes it (on
 * PostgreSQL it waits for a concurrent inserter's commit, then yields). A row: it is read
 * for update (locked on PostgreSQL; SQLite's one writer holds the file) before it is judged
 * and taken over, so two takers never both win. A row released in between sends the taker
 * round again. Nothing that holds a claim row waits for the log's lock, so an append
 * waiting here cannot deadlock.
 */
export function* takeClaim(d: Dialect, request: ClaimRequest, deliverySeq: number): Work<ClaimResult> {
	const { holder, now, leaseMs } = request;
	const key = d.text.encode(request.key);
	for (;;) {
		const inserted = yield* query(
			`insert into claims ("key", holder, delivery_seq, claimed_at, expires_at) values (?, ?, ?, ?, ?)
			 on conflict ("key") do nothing returning holder`,
			key,
			holder,
			deliverySeq,
			now,
			now + leaseMs,
		);
		if (inserted.length > 0) return { state: "claimed", inherited: false };
		const [current] = yield* query<{ holder: string; expiresAt: number }>(
			`select holder, expires_at as "expiresAt" from claims where "key" = ?${d.forUpdate}`,
			key,
		);
		if (!current) continue;
		if (current.holder !== holder && leaseRunning(current, now)) {
			return { state: "held", holder: current.holder, expiresAt: current.expiresAt };
		}
		yield* command(
			`update claims set holder = ?, delivery_seq = ?, claimed_at = ?, expires_at = ? where "key" = ?`,
			holder,
			deliverySeq,
			now,
			now + leaseMs,
			key,
		);
		return { state: "claimed", inherited: current.holder !== holder };
	}
}

/** A release by someone who no longer holds the claim leaves it alone. */
export function* releaseClaim(d: Dialect, { key, holder }: { key: string; holder: string }): Work<void> {
	yield* command(`delete from claims where "key" = ? and holder = ?`, d.text.encode(key), holder);
}

export function* dropStaleClaim(d: Dialect, { key, at }: { key: string; at: number }, deliverySeq: number): Work<void> {
	yield* command(
		`delete from claims where "key" = ? and (expires_at <= ? or delivery_seq = ?)`,
		d.text.encode(key),
		at,
		deliverySeq,
	);
}

export function* currentClaims(d: Dialect): Work<Map<string, { holder: string; expiresAt: number }>> {
	const rows = yield* query<{ key: string; holder: string; expiresAt: number }>(
		`select "key" as "key", holder, expires_at as "expiresAt" from claims`,
	);
	return new Map(rows.map((c) => [d.text.decode(c.key), { holder: c.holder, expiresAt: c.expiresAt }]));
}

/**
 * The doubt a takeover leaves on an insert its dead holder may have made: an event of its
 * own (no call is made, so it is no attempt), so that the insert is looked for in Knack
 * before it is sent again, by this holder or, if it dies too, by the next.
 */
export function takeoverDoubt(
	effect: { key: string; kind: EffectKind; objectKey: string; method: string },
	by: ProjectedBy,
): Outcome {
	return {
		type: EventTypes.effectDoubted,
		effectKey: effect.key,
		data: { kind: effect.kind, by, method: effect.method, objectKey: effect.objectKey },
	};
}

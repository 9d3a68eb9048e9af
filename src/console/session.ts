import { createHash } from "node:crypto";
import { constantTimeEqual } from "../constantTime.ts";
import type { ConsoleSessionStore, StoredConsoleSession } from "../storage/storage.ts";

/**
 * Console sign-ins, kept in the store (`ConsoleSessionStore`), so every instance on it
 * serves a signed-in operator, a restart signs nobody out, and a sign-out anywhere ends
 * the session everywhere. Ids and CSRF tokens are 32 random bytes; the store keeps only
 * a SHA-256 of the id. A session ends 8 hours after its last request, and 12 hours after
 * sign-in whatever happens.
 */
export type Session = Omit<StoredConsoleSession, "idHash"> & { id: string };

export interface SessionStore {
	/** a new session; the sessions that have ended are dropped first, so the store keeps only live ones */
	create(name: string): Promise<Session>;
	/** the live session with this id, its idle time restarted; null when unknown or expired */
	get(id: string): Promise<Session | null>;
	delete(id: string): Promise<void>;
	readonly lifetimeMs: number;
}

/**
 * How stale `lastSeen` may grow before a request writes it again. Writing it on every
 * page load would make each one a durable write to the store (an fsync on SQLite, a
 * commit on PostgreSQL) to move an 8-hour idle timeout by seconds; a minute's slack in
 * that timeout costs nothing.
 */
export const LAST_SEEN_SLACK_MS = 60_000;

const idleMs = 8 * 3_600_000;
const lifetimeMs = 12 * 3_600_000;

export function createSessionStore({
	store,
	clock,
}: {
	store: ConsoleSessionStore;
	clock: () => number;
}): SessionStore {
	const expired = (s: StoredConsoleSession, now: number) => now - s.lastSeen > idleMs || now - s.createdAt > lifetimeMs;
	return {
		lifetimeMs,
		async create(name) {
			const now = clock();
			await store.prune(now - idleMs, now - lifetimeMs);
			const session = { id: randomToken(), csrf: randomToken(), name, createdAt: now, lastSeen: now };
			const { id, ...kept } = session;
			await store.create({ idHash: hashOf(id), ...kept });
			return session;
		},
		async get(id) {
			const idHash = hashOf(id);
			const stored = await store.get(idHash);
			if (!stored) return null;
			const now = clock();
			if (expired(stored, now)) {
				await store.delete(idHash);
				return null;
			}
			if (now - stored.lastSeen > LAST_SEEN_SLACK_MS) await store.touch(idHash, now);
			const { idHash: _hash, ...session } = stored;
			return { ...session, id, lastSeen: now };
		},
		async delete(id) {
			await store.delete(hashOf(id));
		},
	};
}

export function csrfMatches(session: Session, presented: unknown): boolean {
	return typeof presented === "string" && constantTimeEqual(presented, session.csrf);
}

/** What the store keeps in place of an id: a copy of the store then opens no session. */
export function hashOf(id: string): string {
	return createHash("sha256").update(id).digest("hex");
}

function randomToken(): string {
	return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

import { constantTimeEqual } from "../routes/postbackAuth.ts";

/**
 * Console sign-ins, kept in this process's memory: enough for the one instance the
 * service runs as. Several instances behind a balancer would need these in a shared
 * store, or an operator would be signed out whenever a request landed elsewhere.
 * Ids and CSRF tokens are 32 random bytes; a session ends after `idleMs` without a
 * request, and `lifetimeMs` after sign-in whatever happens.
 */
export interface Session {
	id: string;
	/** sent in a hidden field with every form that changes something, checked on every POST */
	csrf: string;
	/** as typed at sign-in: recorded with every repair */
	name: string;
	createdAt: number;
	lastSeen: number;
}

export interface SessionStore {
	create(name: string): Session;
	/** the live session with this id, its idle time restarted; null when unknown or expired */
	get(id: string): Session | null;
	delete(id: string): void;
	readonly lifetimeMs: number;
}

export function createSessionStore({
	clock,
	idleMs = 8 * 3_600_000,
	lifetimeMs = 12 * 3_600_000,
}: {
	clock: () => number;
	idleMs?: number;
	lifetimeMs?: number;
}): SessionStore {
	const sessions = new Map<string, Session>();
	const expired = (s: Session, now: number) => now - s.lastSeen > idleMs || now - s.createdAt > lifetimeMs;
	return {
		lifetimeMs,
		create(name) {
			const now = clock();
			for (const [id, s] of sessions) if (expired(s, now)) sessions.delete(id);
			const session = { id: randomToken(), csrf: randomToken(), name, createdAt: now, lastSeen: now };
			sessions.set(session.id, session);
			return session;
		},
		get(id) {
			const session = sessions.get(id);
			if (!session) return null;
			const now = clock();
			if (expired(session, now)) {
				sessions.delete(id);
				return null;
			}
			session.lastSeen = now;
			return session;
		},
		delete(id) {
			sessions.delete(id);
		},
	};
}

export function csrfMatches(session: Session, presented: unknown): boolean {
	return typeof presented === "string" && constantTimeEqual(presented, session.csrf);
}

function randomToken(): string {
	return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

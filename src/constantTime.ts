import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares digests, so neither the content nor the length of a secret leaks through timing.
 * A leaf: the postback's tokens, the admin token and the console's CSRF token all use it.
 */
export function constantTimeEqual(a: string, b: string): boolean {
	const digest = (s: string) => createHash("sha256").update(s).digest();
	return timingSafeEqual(digest(a), digest(b));
}

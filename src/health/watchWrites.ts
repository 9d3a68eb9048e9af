import type { EventStore } from "../storage/storage.ts";

/**
 * The event store as the service uses it, with the outcome of every write reported to
 * health: the store's own answer to a postback is the best evidence of whether it can
 * be written. A proxy, so reads and any method added later pass through untouched.
 */
const writes = new Set<PropertyKey>([
	"appendDelivery",
	"recordOutcomes",
	"recordDeadLetter",
	"claim",
] satisfies (keyof EventStore)[]);

export function watchWrites(store: EventStore, report: (error: unknown | null) => void): EventStore {
	return new Proxy(store, {
		get(target, property) {
			const value = Reflect.get(target, property, target);
			if (typeof value !== "function") return value;
			if (!writes.has(property)) return value.bind(target);
			return async (...args: unknown[]) => {
				try {
					const result = await value.apply(target, args);
					report(null);
					return result;
				} catch (error) {
					report(error);
					throw error;
				}
			};
		},
	});
}

import { ReadOnlyStorageError, type Storage } from "./storage.ts";

/**
 * A store opened read-only, whose every write is refused with a message that says so
 * and names the store, whatever the adapter. The database itself refuses too (SQLite
 * opened read-only answers "attempt to write a readonly database"), so a write method
 * added to the boundary and not listed here still fails, only less clearly.
 */
export function refuseWrites(storage: Storage): Storage {
	const refused = (what: string) =>
		new ReadOnlyStorageError(`the store at ${storage.location} is open read-only: it cannot ${what}`);
	const reject = (what: string) => async (): Promise<never> => {
		throw refused(what);
	};
	return {
		...storage,
		events: {
			...storage.events,
			appendDelivery: reject("append a delivery"),
			recordOutcomes: reject("record Knack outcomes"),
			recordDeadLetter: reject("dead-letter a delivery"),
			claim: reject("take a projection claim"),
			recordOperatorAction: reject("record an operator's action"),
		},
		readModel: {
			...storage.readModel,
			foldPage: reject("fold events into the payments read model"),
			reset: reject("reset the payments read model"),
		},
		cursors: {
			...storage.cursors,
			write: reject("move a replay cursor"),
			clear: reject("clear a replay cursor"),
		},
		sessions: {
			...storage.sessions,
			create: reject("record a console sign-in"),
			touch: reject("record a console session's activity"),
			delete: reject("end a console session"),
			prune: reject("prune console sessions"),
		},
		jobs: {
			...storage.jobs,
			create: reject("start an operator job"),
			takeOver: reject("take over an operator job"),
			save: reject("save an operator job's progress"),
		},
		probe: { ...storage.probe, write: reject("probe a write") },
		transfer: {
			...storage.transfer,
			importer: () => {
				throw refused("import events");
			},
		},
	};
}

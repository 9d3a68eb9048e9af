import { isAuthRefusal, isKnackTrouble, type KnackAppSignals, type KnackCall } from "./checks.ts";

/**
 * What the service saw of Knack, per app, fed by the Knack client's `onCall` hook: the
 * last answer, how many refusals of our credentials in a row, and the calls that went
 * wrong inside the window. Only those are kept, so a healthy app costs nothing and an
 * outage costs at most the calls one window holds.
 */
export interface KnackCallTracker {
	record(app: string, call: KnackCall): void;
	signals(now: number): Record<string, Omit<KnackAppSignals, "quota">>;
}

interface AppState {
	lastCall: KnackCall | null;
	authRefusalsInARow: number;
	troubles: KnackCall[];
}

export function createKnackCallTracker(apps: readonly string[], windowMs: number): KnackCallTracker {
	const byApp = new Map<string, AppState>();
	const stateOf = (app: string) => {
		let state = byApp.get(app);
		if (!state) {
			state = { lastCall: null, authRefusalsInARow: 0, troubles: [] };
			byApp.set(app, state);
		}
		return state;
	};
	for (const app of apps) stateOf(app);
	const prune = (state: AppState, now: number) => {
		const keepFrom = state.troubles.findIndex((call) => now - call.at <= windowMs);
		state.troubles.splice(0, keepFrom === -1 ? state.troubles.length : keepFrom);
	};

	return {
		record(app, call) {
			const state = stateOf(app);
			state.lastCall = call;
			state.authRefusalsInARow = isAuthRefusal(call.status) ? state.authRefusalsInARow + 1 : 0;
			if (isKnackTrouble(call.status)) state.troubles.push(call);
			prune(state, call.at);
		},
		signals(now) {
			for (const state of byApp.values()) prune(state, now);
			return Object.fromEntries(byApp);
		},
	};
}

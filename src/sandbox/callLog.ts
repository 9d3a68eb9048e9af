/** Every request the sandbox received, in arrival order, and what it answered. */
export interface RecordedCall {
	seq: number;
	/** Arrival time, ms since the epoch. */
	at: number;
	method: string;
	path: string;
	/** Null when the path is not a Knack records route. */
	objectKey: string | null;
	recordId?: string;
	query: Record<string, string>;
	/** The X-Knack-Application-Id header, or null when absent. */
	appId: string | null;
	/** Status answered; null while still pending, 0 when no HTTP answer reached the client. */
	status: number | null;
	/** Parsed JSON body, or null when there was none or it was not JSON. */
	body: unknown;
}

export interface CallStats {
	total: number;
	byMethod: Record<string, number>;
	/** Keyed by status; "pending" and "dropped" for calls without an answer. */
	byStatus: Record<string, number>;
	byMethodAndStatus: Record<string, number>;
}

export class CallLog {
	private log: RecordedCall[] = [];
	private nextSeq = 1;

	record(call: Omit<RecordedCall, "seq" | "status">): RecordedCall {
		const entry: RecordedCall = { seq: this.nextSeq++, status: null, ...call };
		this.log.push(entry);
		return entry;
	}

	all(): RecordedCall[] {
		return this.log.map((call) => ({ ...call }));
	}

	clear(): void {
		this.log = [];
	}

	stats(): CallStats {
		const stats: CallStats = { total: 0, byMethod: {}, byStatus: {}, byMethodAndStatus: {} };
		for (const call of this.log) {
			const status = call.status === null ? "pending" : call.status === 0 ? "dropped" : String(call.status);
			stats.total++;
			stats.byMethod[call.method] = (stats.byMethod[call.method] ?? 0) + 1;
			stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
			const both = `${call.method} ${status}`;
			stats.byMethodAndStatus[both] = (stats.byMethodAndStatus[both] ?? 0) + 1;
		}
		return stats;
	}
}

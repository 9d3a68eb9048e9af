import { Gauge, type Registry } from "prom-client";
import { stateRank } from "./checks.ts";
import type { HealthMonitor } from "./monitor.ts";

/** The health report in /metrics: 0 ok, 1 degraded, 2 failing, per check and overall. */
export function registerHealthGauges(registry: Registry, monitor: Pick<HealthMonitor, "report">): void {
	new Gauge({
		name: "citybase_health_check",
		help: "State of each health check behind GET /: 0 ok, 1 degraded, 2 failing",
		labelNames: ["check"],
		registers: [registry],
		collect() {
			for (const [check, result] of Object.entries(monitor.report().checks)) {
				this.set({ check }, stateRank[result.state]);
			}
		},
	});
	new Gauge({
		name: "citybase_health_status",
		help: "Overall health, as GET / answers it: 0 OK, 1 DEGRADED, 2 FAILING",
		registers: [registry],
		collect() {
			this.set(stateRank[monitor.report().status]);
		},
	});
}

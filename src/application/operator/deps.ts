import type { Logger } from "../../logging/logger.ts";
import type { BudgetPolicy } from "../../projections/knack/budget.ts";
import type { KnackClient } from "../../projections/knack/client.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import type { Storage } from "../../storage/storage.ts";

/**
 * What the operator functions work with, whichever face calls them (the CLI, the
 * console). `knack` is asked for only when a Knack call is about to be made, so what
 * only reads the log needs no credentials.
 */
export interface OperatorDeps {
	storage: Storage;
	fieldMap: FieldMapName;
	knack(): KnackClient;
	logger: Logger;
	/** the postback deadline and claim lease a replay works under, as the service's */
	deadlineMs: number;
	claimLeaseMs: number;
	/** names this process in the claims it takes, so an operator can tell who held one */
	holderPrefix: string;
	/** the Knack budget's rate and daily reserve, for estimating what a replay costs */
	budget: BudgetPolicy;
	/** who is at the controls: every Knack write an operator function makes is recorded under this name */
	actor: Actor;
}

export interface Actor {
	who: string;
	by: "console" | "cli";
}

/**
 * Asked before anything is written to Knack, with what is about to be done; false
 * cancels. The CLI asks at the terminal in production, the console has its own form.
 */
export type ConfirmKnackWrites = (what: string) => Promise<boolean>;

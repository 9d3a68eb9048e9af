import { type Html, html } from "../html.ts";
import { notice } from "./layout.ts";

export interface LoginView {
	/** false when ADMIN_TOKEN is unset: the console answers on loopback only and asks no token */
	tokenRequired: boolean;
	error?: string;
	name?: string;
	/** the browser presented a session that is unknown or has ended */
	ended?: boolean;
	/** the console page to return to once signed in (already checked as one) */
	next?: string;
}

export function loginView({ tokenRequired, error, name, ended, next }: LoginView): Html {
	return html`<h1>Sign in</h1>
${error ? notice("error", error) : ""}
${ended && !error ? notice("info", "Your session has ended; sign in again.") : ""}
<form class="card stack" method="post" action="/admin/login">
${next ? html`<input type="hidden" name="next" value="${next}">` : ""}
<div class="field">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password"${tokenRequired ? html` required` : ""} autofocus>
<p class="hint">${
		tokenRequired
			? "The ADMIN_TOKEN of this service."
			: "Not needed here: ADMIN_TOKEN is unset, so the console answers on this machine only."
	}</p>
</div>
<div class="field">
<label for="name">Your name</label>
<input id="name" name="name" type="text" autocomplete="name" maxlength="80" required value="${name ?? ""}">
<p class="hint">Recorded with every repair you make, so others can see who did what.</p>
</div>
<button type="submit" class="button">Sign in</button>
</form>`;
}

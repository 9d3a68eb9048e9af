/** Answers in Knack's shape, so clients parse sandbox errors exactly as they parse Knack's. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: { "content-type": "application/json; charset=utf-8", ...headers },
	});
}

export function knackError(status: number, message: string, headers?: Record<string, string>): Response {
	return json({ errors: [{ message }] }, status, headers);
}

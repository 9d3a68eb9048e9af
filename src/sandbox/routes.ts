/** Which Knack records route a path names, if any (an optional trailing slash is accepted). */
export interface RecordsRoute {
	objectKey: string;
	recordId?: string;
}

const RECORDS_PATH = /^\/v1\/objects\/(object_\d+)\/records(?:\/([^/]+))?\/?$/;

export function matchRecordsRoute(path: string): RecordsRoute | undefined {
	const m = RECORDS_PATH.exec(path);
	if (m === null) return undefined;
	const [, objectKey, recordId] = m as unknown as [string, string, string | undefined];
	return recordId === undefined ? { objectKey } : { objectKey, recordId };
}

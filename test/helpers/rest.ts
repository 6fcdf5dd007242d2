// Calls to a coordinator's REST API for the tests: the status code and the parsed JSON body.
/** A REST answer. */
export interface RestAnswer<T> {
  status: number;
  body: T;
}

/** `method url` with an optional JSON body; resolves with the status and the parsed body. */
export async function rest<T = Record<string, unknown>>(url: string, method = 'GET', body?: unknown): Promise<RestAnswer<T>> {
  const response = await fetch(url, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

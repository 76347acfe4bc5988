// The JSON API and the live event stream, as the views use them. The token
// is never kept here: the server exchanges it (typed into the page, or a
// ?token= link) for an HttpOnly cookie that the browser sends by itself.

/** An API error: the server's code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  const headers = {};
  // No content type without a body: Fastify rejects an empty JSON body.
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error ?? 'EHTTP', data?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body),
  delete: (path) => request('DELETE', path),
};

/**
 * Follow the live events of one campaign (or of every running one, with
 * null). `on` maps event types to handlers; `status` hears 'live' and
 * 'reconnecting'. Returns the function that stops following.
 */
export function follow(campaign, on, status = () => {}) {
  const url = campaign ? `/api/events?campaign=${encodeURIComponent(campaign)}` : '/api/events';
  const es = new EventSource(url);
  for (const [type, fn] of Object.entries(on)) es.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  es.addEventListener('open', () => status('live'));
  es.addEventListener('error', () => status(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  return () => es.close();
}

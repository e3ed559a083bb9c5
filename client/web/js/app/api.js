// The server's JSON API, same origin (docs/api.md). Failures are one of two
// kinds: ApiError (the server answered with {code, message, field}) or
// NetworkError (no usable answer: the request may or may not have arrived).

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code ?? 'http-error';
    this.field = body?.field ?? null;
  }
}

export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NetworkError';
  }
}

// Answers from a proxy or a server that could not finish: the request may
// have been handled, so the caller treats them like a lost connection.
const UNCERTAIN = new Set([502, 503, 504]);

async function request(path, init) {
  let resp;
  try {
    resp = await fetch(path, {
      cache: 'no-store',
      credentials: 'same-origin',
      ...init,
      headers: { Accept: 'application/json', ...(init?.headers ?? {}) },
    });
  } catch (err) {
    throw new NetworkError(err?.message ?? 'network failure');
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {
    if (resp.ok || UNCERTAIN.has(resp.status)) throw new NetworkError(`HTTP ${resp.status}`);
  }
  if (!resp.ok) {
    if (UNCERTAIN.has(resp.status)) throw new NetworkError(`HTTP ${resp.status}`);
    throw new ApiError(resp.status, body);
  }
  return body;
}

export function getJson(path) {
  return request(path, { method: 'GET' });
}

export function postJson(path, value) {
  return request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(value),
  });
}

const seg = (value) => encodeURIComponent(value);

export const paths = Object.freeze({
  server: () => '/api/server',
  elections: () => '/api/elections',
  election: (id) => `/api/elections/${seg(id)}`,
  credentials: (id) => `/api/elections/${seg(id)}/credentials`,
  ballots: (id) => `/api/elections/${seg(id)}/ballots`,
  ballot: (id, code) => `/api/elections/${seg(id)}/ballots/${seg(code)}`,
  board: (id, start, limit) => `/api/elections/${seg(id)}/board?start=${Number(start)}&limit=${Number(limit)}`,
  head: (id) => `/api/elections/${seg(id)}/board/head`,
  turnout: (id) => `/api/elections/${seg(id)}/turnout`,
  trustees: (id) => `/api/elections/${seg(id)}/trustees`,
  shares: (id) => `/api/elections/${seg(id)}/shares`,
  tally: (id) => `/api/elections/${seg(id)}/tally`,
  result: (id) => `/api/elections/${seg(id)}/result`,
});

/**
 * Cast `ballot` (POST /ballots) and return the receipt. With `lookFirst`
 * (after a lost reply) the board is asked first whether `trackingCode` is
 * already there; if so its stored receipt is returned and nothing is sent.
 * Either way the same ballot bytes go out, so a retry can never add a second ballot.
 */
export async function castBallot(electionId, ballot, trackingCode, { lookFirst = false } = {}) {
  if (lookFirst) {
    try {
      return (await getJson(paths.ballot(electionId, trackingCode))).receipt;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  return postJson(paths.ballots(electionId), ballot);
}

/** The i18n key explaining a failure to the voter (server codes: docs/api.md). */
export function failureKey(err) {
  if (err instanceof NetworkError) return 'error.network';
  if (!(err instanceof ApiError)) return 'error.unexpected';
  switch (err.code) {
    case 'not-open': return 'error.notOpen';
    case 'already-voted': return 'error.alreadyVoted';
    case 'unknown-credential': return 'error.notOnRoll';
    case 'bad-signature':
    case 'invalid-ballot':
    case 'malformed':
    case 'too-large': return 'error.rejected';
    case 'rate-limited': return 'error.rateLimited';
    case 'not-found': return 'error.notFound';
    default: return err.status >= 500 ? 'error.server' : 'error.unexpected';
  }
}

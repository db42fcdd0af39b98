// The dashboard's own API: same-origin requests with the session cookie.

/** What to do when the session is missing or expired. */
export const SIGN_IN =
  'Not signed in, or the session expired: reload the page to sign in (locally, open the link `npm start` printed).';

/** GETs (or sends `init`) to the API; resolves with the JSON body, throws a readable error. */
export async function api(path, init) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new Error(`Cannot reach the dashboard. ${SIGN_IN}`);
  }
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) throw new Error(SIGN_IN);
  if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
  return body;
}

// Requests to the API: JSON, no cookies, no referrer, nothing cached; the mailbox token (when
// given) travels in the Authorization header and a proof of work in Wbs-Proof, never in the URL.

export const REPORTS = '/api/reports';
export const MAILBOX = '/api/mailbox';
export const CHALLENGE = '/api/challenge';

export function bearer(sodium, token) {
  return `Bearer ${sodium.to_base64(token, sodium.base64_variants.ORIGINAL)}`;
}

/** fetch() with the page's rules; `body` (an object) is sent as JSON. */
export function call(url, {
  method = 'GET', authorization = null, proof = null, body = undefined,
} = {}) {
  const headers = {};
  if (authorization) headers.Authorization = authorization;
  if (proof) headers['Wbs-Proof'] = proof;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
}

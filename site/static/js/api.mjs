// Requests to the API: JSON, no cookies, no referrer, nothing cached; the mailbox token (when
// given) travels in the Authorization header, a proof of work in Wbs-Proof and the reporter's
// signing key or signature in Wbs-Signing-Key or Wbs-Signature, never in the URL.

export const REPORTS = '/api/reports';
export const MAILBOX = '/api/mailbox';
export const CHALLENGE = '/api/challenge';

export function bearer(sodium, token) {
  return `Bearer ${sodium.to_base64(token, sodium.base64_variants.ORIGINAL)}`;
}

/** fetch() with the page's rules; `body` (an object) is sent as JSON, `signed` ({name:
 * value}) adds the reporter's signing headers. */
export function call(url, {
  method = 'GET', authorization = null, proof = null, body = undefined, signed = {},
} = {}) {
  const headers = { ...signed };
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

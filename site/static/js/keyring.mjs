// The inspectorate's keyring, embedded in the page by the build (<li data-kid data-public-key
// data-signing-key> under #recipients): everything the reporter sends is sealed to every key
// in it, and every reply it reads is checked against the signing keys (signature-v2 §4).

const ORIGINAL = (sodium) => sodium.base64_variants.ORIGINAL;

export function keyringRecipients(sodium) {
  return Array.from(document.querySelectorAll('#recipients [data-kid]'), (li) => ({
    kid: li.dataset.kid,
    publicKey: sodium.from_base64(li.dataset.publicKey, ORIGINAL(sodium)),
  }));
}

/**
 * The keyring's Ed25519 public keys by key id, retired keys' included (<li data-signer
 * data-signing-key> under #retired-signers); a key that cannot sign is left out.
 */
export function keyringSigners(sodium) {
  const signers = new Map();
  const found = '#recipients [data-signing-key], #retired-signers [data-signing-key]';
  for (const li of document.querySelectorAll(found)) {
    const kid = li.dataset.kid ?? li.dataset.signer;
    signers.set(kid, sodium.from_base64(li.dataset.signingKey, ORIGINAL(sodium)));
  }
  return signers;
}

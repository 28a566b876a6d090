// The inspectorate's keyring, embedded in the page by the build (<li data-kid data-public-key>
// under #recipients): everything the reporter sends is sealed to every key in it.

export function keyringRecipients(sodium) {
  return Array.from(document.querySelectorAll('#recipients [data-kid]'), (li) => ({
    kid: li.dataset.kid,
    publicKey: sodium.from_base64(li.dataset.publicKey, sodium.base64_variants.ORIGINAL),
  }));
}

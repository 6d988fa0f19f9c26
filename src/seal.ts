/**
 * Sealing what cm caches from files that hold secrets (the catalog of
 * cookbooks with a vars file, the alert configuration): AES-256-GCM under a
 * key derived from a text that names the bytes it was made from (their
 * SHA-256), so only who can read those bytes can open it, and a change to
 * them makes it unreadable: a cache miss. Who holds a copy of the sealed
 * bytes could test guesses of the whole input against it, as against a hash.
 *
 * @module
 */

const encoder = new TextEncoder();
const IV_BYTES = 12;

/**
 * The AES-256-GCM key for `purpose` (`catalog`, `alerts`) and `text`: a hash
 * of the text under its own prefix, so that no other hash of it gives the key.
 */
async function sealKey(purpose: string, text: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(`cm ${purpose} seal\0${text}`));
  return await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** `plain` sealed for `purpose` under the key of `text`: base64 of a random 12-byte IV and the ciphertext. */
export async function seal(purpose: string, text: string, plain: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const cipher = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await sealKey(purpose, text),
    plain as Uint8Array<ArrayBuffer>,
  );
  const sealed = new Uint8Array(IV_BYTES + cipher.byteLength);
  sealed.set(iv);
  sealed.set(new Uint8Array(cipher), IV_BYTES);
  return sealed.toBase64();
}

/**
 * What {@link seal} sealed for `purpose` under the key of `text`; `null` when
 * `sealed` was sealed under another key (the input changed), or is damaged.
 */
export async function unseal(
  purpose: string,
  text: string,
  sealed: string,
): Promise<Uint8Array | null> {
  try {
    const bytes = Uint8Array.fromBase64(sealed);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES) },
      await sealKey(purpose, text),
      bytes.subarray(IV_BYTES),
    );
    return new Uint8Array(plain);
  } catch {
    return null;
  }
}

/**
 * Hiding secrets in text that is shown or recorded.
 *
 * @module
 */

/** `text` with every occurrence of each secret (4 characters or more) replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 4).reduce((out, s) => out.split(s).join("***"), text);
}

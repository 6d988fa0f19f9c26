/**
 * curl driven through `curl --config -`: the URL, headers and body travel on
 * stdin, so no secret ever shows in a process argument (`ps`, /proc/PID/cmdline).
 *
 * @module
 */

/** The argv that reads everything else from the config on stdin. */
export const CURL_ARGV: readonly string[] = ["curl", "--config", "-"];

/** One config line: an option with a value, or a bare switch (`silent`). */
export type CurlOption = [name: string, value?: string];

function quote(value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

/**
 * A curl config file's text: `name = "value"` lines (curl's quoting: `\\`,
 * `\"`, `\n`, `\r`, `\t`), switches on their own. Only http and https are
 * allowed, also on redirects.
 */
export function curlConfig(options: CurlOption[]): string {
  const all: CurlOption[] = [["proto", "=http,https"], ["proto-redir", "=http,https"], ...options];
  return all.map(([name, value]) => value === undefined ? name : `${name} = ${quote(value)}`)
    .map((line) => `${line}\n`).join("");
}

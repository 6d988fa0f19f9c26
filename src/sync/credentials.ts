/**
 * Git credentials from a root-only file, handed to git through its
 * environment (never argv, never printed):
 *
 * - an SSH private key (the file starts with `-----BEGIN ... PRIVATE KEY-----`):
 *   `GIT_SSH_COMMAND="ssh -i FILE -o IdentitiesOnly=yes -o BatchMode=yes"`;
 * - otherwise an HTTPS token on the first line, `user:token` or just `token`
 *   (user `x-access-token`): sent as an `Authorization: Basic` header through
 *   `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_0=http.extraHeader` /
 *   `GIT_CONFIG_VALUE_0`, which only root can read in `/proc/<pid>/environ`.
 *
 * A file that its group or others can read (or write), or that another user
 * owns, is refused.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { quoteArg } from "../exec/argv.ts";
import { CredentialsError } from "../errors.ts";
import { maskSecrets } from "../text.ts";

/** What the credentials file holds; `env` goes to every git process, `secret` must never be shown. */
export interface Credentials {
  kind: "ssh" | "token";
  env: Record<string, string>;
  /** Values to redact from anything printed or recorded. */
  secrets: string[];
}

/**
 * Environment that keeps git from ever prompting, and gives up on an HTTP
 * transfer that stalls (under 1000 B/s for 30 s): a remote that accepts and
 * never answers would otherwise hold the run lock for the whole fetch timeout,
 * sync after sync, and every `cm apply` and `cm watch` repair waits for it.
 */
export const GIT_BASE_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_ASKPASS: "/bin/false",
  SSH_ASKPASS: "/bin/false",
  GIT_HTTP_LOW_SPEED_LIMIT: "1000",
  GIT_HTTP_LOW_SPEED_TIME: "30",
};

/** ssh's bounds for a server that does not answer (as GIT_BASE_ENV's for HTTP). */
const SSH_STALL = "-o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=2";

/** Checks the file's permissions and reads it into git environment variables. */
export function readCredentials(probe: Probe, path: string, myUid = Deno.uid()): Credentials {
  const info = probe.stat(path);
  if (!info) throw new CredentialsError(`credentials file "${path}" does not exist`);
  if (info.kind !== "file") {
    throw new CredentialsError(`credentials file "${path}" is not a regular file`);
  }
  if (info.mode & 0o077) {
    throw new CredentialsError(
      `credentials file "${path}" is accessible by group or others (mode ${
        info.mode.toString(8).padStart(4, "0")
      }); refusing to use it: chmod 600 "${path}"`,
    );
  }
  if (info.uid !== 0 && info.uid !== myUid) {
    throw new CredentialsError(
      `credentials file "${path}" belongs to uid ${info.uid}, not root; refusing to use it`,
    );
  }
  const text = new TextDecoder().decode(probe.readFile(path) ?? new Uint8Array());
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/m.test(text)) {
    return {
      kind: "ssh",
      env: {
        GIT_SSH_COMMAND: `ssh -i ${
          quoteArg(path)
        } -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new ${SSH_STALL}`,
      },
      secrets: [],
    };
  }
  const token = text.split("\n")[0].trim();
  if (!token) throw new CredentialsError(`credentials file "${path}" is empty`);
  const userToken = token.includes(":") ? token : `x-access-token:${token}`;
  const basic = btoa(userToken);
  return {
    kind: "token",
    env: {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    },
    secrets: [token, userToken.slice(userToken.indexOf(":") + 1), basic],
  };
}

/** Removes secrets and URL passwords from text about to be printed or recorded. */
export function redact(text: string, secrets: readonly string[] = []): string {
  const out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]+@/gi, "$1:***@");
  return maskSecrets(out, secrets);
}

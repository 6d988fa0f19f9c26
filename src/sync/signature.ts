/**
 * Commit signature verification, run on the fetched commit BEFORE anything of
 * it is checked out or read.
 *
 * `trusted_keys` is either an SSH allowed-signers file (lines of
 * `principal key-type base64-key`; verified with `git -c
 * gpg.ssh.allowedSignersFile=FILE verify-commit`) or a GPG keyring / armored
 * public key, imported into a throw-away `GNUPGHOME` (so only those keys are
 * trusted) and verified with `git verify-commit`.
 *
 * @module
 */
import type { Executor, PathInfo } from "../exec/executor.ts";
import type { Git } from "./git.ts";

/** Which kind of trusted keys a file holds. */
export function trustedKeysFormat(data: Uint8Array): "ssh" | "gpg" {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data.subarray(0, 65536));
  if (text.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) return "gpg";
  const ssh =
    /(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/=]{16,}/m;
  return ssh.test(text) ? "ssh" : "gpg";
}

/**
 * Why the trusted keys file at `path` (lstat'ed as `info`) cannot be the root
 * of trust, or null: whoever can change it can sign commits that root then
 * applies, so it must be a regular file (not a link) of root or `myUid`, not
 * writable by group or others. Reading by anyone is fine: it holds public keys.
 */
export function trustedKeysProblem(
  info: PathInfo | null,
  path: string,
  myUid: number | null,
): string | null {
  if (!info) return `trusted keys file "${path}" does not exist`;
  if (info.kind !== "file") return `trusted keys file "${path}" is not a regular file`;
  if (info.uid !== 0 && info.uid !== myUid) {
    return `trusted keys file "${path}" belongs to uid ${info.uid}: expected root or uid ${myUid}`;
  }
  if (info.mode & 0o022) {
    const mode = info.mode.toString(8).padStart(4, "0");
    return `trusted keys file "${path}" is writable by group or others (mode ${mode}): chmod go-w "${path}"`;
  }
  return null;
}

/** The outcome of a verification: `ok`, or why not. */
export type Verdict = { ok: true; signer: string } | { ok: false; reason: string };

function firstLines(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim()).slice(0, 2).join(" / ") || "(no output)";
}

/** Verifies `commit`'s signature against the trusted keys in `trustedKeys`. */
export async function verifyCommit(
  git: Git,
  exec: Executor,
  commit: string,
  trustedKeys: string,
  scratchDir: string,
): Promise<Verdict> {
  const raw = await git.run(["cat-file", "commit", commit]);
  const header = raw.stdout.split("\n\n")[0];
  if (raw.code === 0 && !/^gpgsig(-sha256)? /m.test(header)) {
    return { ok: false, reason: "commit is not signed" };
  }
  const unsafe = trustedKeysProblem(exec.stat(trustedKeys), trustedKeys, Deno.uid());
  if (unsafe) return { ok: false, reason: unsafe };
  const data = exec.readFile(trustedKeys);
  if (!data) return { ok: false, reason: `trusted keys file "${trustedKeys}" cannot be read` };
  if (trustedKeysFormat(data) === "ssh") {
    const r = await git.run([
      "-c",
      `gpg.ssh.allowedSignersFile=${trustedKeys}`,
      "verify-commit",
      "--raw",
      commit,
    ]);
    const text = `${r.stderr}\n${r.stdout}`;
    if (r.code === 0) {
      const signer = /Good "git" signature for (\S+)/.exec(text)?.[1] ?? "trusted key";
      return { ok: true, signer };
    }
    if (/no signature found/i.test(text)) return { ok: false, reason: "commit is not signed" };
    return { ok: false, reason: `signature not trusted: ${firstLines(text)}` };
  }
  // GPG: a private, throw-away keyring holding exactly the trusted keys.
  const home = `${scratchDir}/gnupg-${Deno.pid}`;
  await exec.run(["rm", "-rf", "--one-file-system", home]);
  exec.mkdir(home, { mode: 0o700 });
  try {
    const env = { GNUPGHOME: home };
    const imported = await exec.run(["gpg", "--batch", "--quiet", "--import", trustedKeys], {
      env,
    });
    if (imported.code !== 0) {
      return {
        ok: false,
        reason: `cannot import trusted keys "${trustedKeys}": ${firstLines(imported.stderr)}`,
      };
    }
    const r = await git.run(["verify-commit", "--raw", commit], { env });
    const text = `${r.stderr}\n${r.stdout}`;
    if (r.code === 0 && /\[GNUPG:\] (GOODSIG|VALIDSIG)/.test(text)) {
      const signer = /\[GNUPG:\] GOODSIG \S+ (.+)/.exec(text)?.[1] ?? "trusted key";
      return { ok: true, signer };
    }
    if (/no signature found/i.test(text)) return { ok: false, reason: "commit is not signed" };
    if (/NO_PUBKEY|ERRSIG/.test(text)) {
      return { ok: false, reason: "signed by a key that is not trusted" };
    }
    return { ok: false, reason: `signature not trusted: ${firstLines(text)}` };
  } finally {
    await exec.run(["gpgconf", "--kill", "all"], { env: { GNUPGHOME: home } });
    await exec.run(["rm", "-rf", "--one-file-system", home]);
  }
}

import assert from "node:assert/strict";
import { trustedKeysFormat, trustedKeysProblem } from "./signature.ts";
import type { PathInfo } from "../exec/executor.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("trusted keys: allowed signers files are SSH, armored or binary keyrings are GPG", () => {
  assert.equal(
    trustedKeysFormat(enc("ops@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG4 ops\n")),
    "ssh",
  );
  assert.equal(
    trustedKeysFormat(enc('* namespaces="git" ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHA\n')),
    "ssh",
  );
  assert.equal(trustedKeysFormat(enc("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n")), "gpg");
  assert.equal(trustedKeysFormat(new Uint8Array([0x99, 0x01, 0x0d, 0x04])), "gpg");
});

Deno.test("trusted keys: only a regular file of root (or cm's user) that no one else can write is trusted", () => {
  const file: PathInfo = { kind: "file", size: 80, mode: 0o644, uid: 0, gid: 0, mtimeMs: 0 };
  const path = "/etc/config-manager/allowed_signers";
  assert.equal(trustedKeysProblem(file, path, 0), null);
  assert.equal(trustedKeysProblem({ ...file, uid: 1000 }, path, 1000), null);
  assert.match(trustedKeysProblem(null, path, 0)!, /does not exist/);
  assert.match(trustedKeysProblem({ ...file, kind: "symlink" }, path, 0)!, /not a regular file/);
  assert.match(trustedKeysProblem({ ...file, uid: 1000 }, path, 0)!, /belongs to uid 1000/);
  assert.match(
    trustedKeysProblem({ ...file, mode: 0o664 }, path, 0)!,
    /writable by group or others \(mode 0664\): chmod go-w/,
  );
  assert.match(trustedKeysProblem({ ...file, mode: 0o646 }, path, 0)!, /writable by group/);
});

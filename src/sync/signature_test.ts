import assert from "node:assert/strict";
import { trustedKeysFormat } from "./signature.ts";

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

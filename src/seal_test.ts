import assert from "node:assert/strict";
import { seal, unseal } from "./seal.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null) => data && new TextDecoder().decode(data);

Deno.test("sealed bytes open only under the same purpose and text", async () => {
  const sealed = await seal("alerts", "inputs v1", bytes('{"token":"s3cret"}'));
  assert.ok(!atob(sealed).includes("s3cret"));
  assert.equal(text(await unseal("alerts", "inputs v1", sealed)), '{"token":"s3cret"}');
  assert.equal(await unseal("alerts", "inputs v2", sealed), null, "an input changed");
  assert.equal(await unseal("catalog", "inputs v1", sealed), null, "another purpose's key");
});

Deno.test("damaged or truncated seals read as none, and each seal has its own IV", async () => {
  const sealed = await seal("alerts", "t", bytes("value"));
  assert.notEqual(await seal("alerts", "t", bytes("value")), sealed);
  const raw = Uint8Array.fromBase64(sealed);
  raw[raw.length - 1] ^= 1;
  for (const bad of [raw.toBase64(), sealed.slice(0, 10), "", "not base64!"]) {
    assert.equal(await unseal("alerts", "t", bad), null, bad);
  }
});

import assert from "node:assert/strict";
import { printable } from "./printable.ts";

Deno.test("printable strips escape sequences' control characters, CR, BEL, C1 and bidi overrides", () => {
  assert.equal(
    printable("\x1b]0;owned\x07\x1b[31mred\x1b[0m\rfake\x9b2J \u202eevil\u202c"),
    "]0;owned[31mred[0mfake2J evil",
  );
  assert.equal(printable("fix\tnginx\nconfig"), "fix nginx config");
  assert.equal(printable("Ünïcode — fine"), "Ünïcode — fine");
});

import assert from "node:assert/strict";
import { printWarnings } from "./_monitor.ts";
import type { Printer } from "./output.ts";
import type { Priority } from "./journal.ts";

Deno.test("monitoring warnings go to stderr at warning priority, without control characters", () => {
  const lines: [string, Priority | undefined][] = [];
  const printer: Printer = {
    out: () => assert.fail("a warning went to stdout"),
    err: (line, priority) => lines.push([line, priority]),
    color: false,
    verbosity: "normal",
    diff: false,
  };
  printWarnings(printer, ['metrics_dir "/srv/m\x1b]0;pwned\x07\tx\0" is not a directory']);
  assert.deepEqual(lines, [[
    'warning: metrics_dir "/srv/m]0;pwned x" is not a directory',
    "warning",
  ]]);
});

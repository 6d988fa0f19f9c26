import assert from "node:assert/strict";
import { importsOf, packageOf, violation } from "./check_layers.ts";

Deno.test("check_layers refuses an import that runs up the layers", () => {
  assert.match(violation("src/sync/sync.ts", "src/cli/output.ts") ?? "", /upper layer/);
  assert.match(violation("resources/file.ts", "src/cookbook/load.ts") ?? "", /upper layer/);
  assert.equal(violation("src/cli/commands/apply.ts", "src/app/converge.ts"), null);
});

Deno.test("check_layers refuses a private module of another package, allows its own", () => {
  assert.match(
    violation("src/cookbook/load.ts", "resources/_argv.ts") ?? "",
    /private to resources/,
  );
  assert.equal(violation("src/cli/commands/plan.ts", "src/cli/_common.ts"), null);
  assert.equal(violation("src/cli/exit_test.ts", "src/_testing.ts"), null);
  assert.match(violation("src/cli/exit.ts", "src/_testing.ts") ?? "", /private/);
});

Deno.test("check_layers refuses sibling folders of one layer, lets tests import upward", () => {
  assert.match(violation("src/sync/sync.ts", "src/monitor/metrics.ts") ?? "", /sibling/);
  assert.equal(violation("src/state/store_test.ts", "src/app/converge.ts"), null);
  assert.equal(violation("tests/cli_test.ts", "src/cli/mod.ts"), null);
});

Deno.test("check_layers finds static, re-exported and dynamic relative imports", () => {
  const text = `import { a } from "./a.ts";\nexport * from "../b.ts";\n` +
    `import type {\n  C,\n} from "./c.ts";\nconst d = await import("./d.ts");\nimport x from "npm:x";`;
  assert.deepEqual(importsOf(text), ["./a.ts", "../b.ts", "./c.ts", "./d.ts"]);
  assert.equal(packageOf("src/cli/commands/x.ts"), "src/cli/");
  assert.equal(packageOf("main.ts"), "");
});

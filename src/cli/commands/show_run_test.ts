import assert from "node:assert/strict";
import { RealExecutor } from "../../exec/real.ts";
import { UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { tempDir } from "../../_testing.ts";
import type { Printer } from "../output.ts";
import { showRun } from "./show_run.ts";

Deno.test("show-run names every run an ambiguous prefix matches instead of saying there is none", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  for (const id of ["20261126T050000Z-1", "20261126T050100Z-2"]) {
    Deno.writeTextFileSync(`${paths.runs}/${id}.json`, "{}");
  }
  const printer: Printer = { out() {}, err() {}, color: false, verbosity: "normal", diff: false };
  assert.throws(() => showRun(new RealExecutor(), printer, { stateDir: dir.path, id: "2026" }), {
    name: UsageError.name,
    message:
      'ambiguous run "2026": 2 runs match (20261126T050000Z-1, 20261126T050100Z-2); give more of the id',
  });
});

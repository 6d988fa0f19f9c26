import assert from "node:assert/strict";
import { boundDiff, diffBudget } from "./diff_budget.ts";

const diff = (n: number) => Array.from({ length: n }, (_, i) => `+line ${i}`).join("\n") + "\n";

Deno.test("boundDiff keeps a short diff as it is and cuts a long one after whole lines, saying so", () => {
  assert.equal(boundDiff(diff(3)), diff(3));
  assert.equal(boundDiff(diff(5), 3), "+line 0\n+line 1\n+line 2\n... (2 more lines cut)\n");
  assert.equal(boundDiff(diff(5), 10, 16), "+line 0\n+line 1\n... (3 more lines cut)\n");
});

Deno.test("a run's diff budget stops computing diffs once it is spent", () => {
  const take = diffBudget(2048);
  let made = 0;
  const make = () => (made++, diff(120));
  assert.equal(take(make), diff(120));
  assert.equal(take(() => null), undefined);
  assert.equal(take(make), diff(120));
  assert.equal(take(make), "(diff not recorded: this run's diffs passed 2 KiB)");
  assert.equal(made, 2);
});

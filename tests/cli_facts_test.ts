/**
 * `cm facts` and `--facts FILE`, as a process under the shipped permission flags.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCm, tempDir } from "./harness.ts";

const BOOK = `configure:
  files:
    - path: "{{ root }}/{{ facts.hostname }}.conf"
      content: "os={{ facts.os.id }}"
    - path: "{{ root }}/ubuntu-only"
      content: x
      when: facts.os.id == "ubuntu"
`;

Deno.test("cm facts --json is what plan --facts reads: the plan uses the saved facts", async () => {
  await using dir = await tempDir();
  const facts = await runCm(["facts", "--json"]);
  assert.equal(facts.code, 0, facts.stderr);
  const saved = JSON.parse(facts.stdout);
  assert.equal(typeof saved["os.id"], "string");
  // Every fact is readable under the shipped permissions (memory_mb once needed --allow-all).
  assert.equal(facts.stderr, "");
  assert.ok(saved.memory_mb > 0, `memory_mb: ${saved.memory_mb}`);
  saved.hostname = "web1";
  saved["os.id"] = "ubuntu";
  await Deno.writeTextFile(`${dir.path}/web1.json`, JSON.stringify(saved));
  await Deno.writeTextFile(`${dir.path}/book.yaml`, `vars:\n  root: ${dir.path}/root\n${BOOK}`);
  const args = ["--state-dir", `${dir.path}/state`, `${dir.path}/book.yaml`];
  const plan = await runCm(["plan", "--facts", `${dir.path}/web1.json`, ...args]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /would +file\[.*\/root\/web1\.conf\]/);
  assert.match(plan.stdout, /would +file\[.*\/root\/ubuntu-only\]/);
  const validate = await runCm(["validate", "--facts", `${dir.path}/web1.json`, args[2]]);
  assert.equal(validate.code, 0, validate.stderr);
});

Deno.test("a facts file naming an unknown fact is a usage error, exit 2", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/bad.json`, '{"hostnam": "x"}');
  await Deno.writeTextFile(`${dir.path}/book.yaml`, `vars:\n  root: /nowhere\n${BOOK}`);
  const result = await runCm(["plan", "--facts", `${dir.path}/bad.json`, `${dir.path}/book.yaml`]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown fact "facts\.hostnam"; did you mean "facts\.hostname"\?/);
});

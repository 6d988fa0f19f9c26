import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { statePaths } from "../state/paths.ts";
import { converge } from "./converge.ts";
import { checkDrift } from "./drift.ts";

const exec = new RealExecutor();

Deno.test("drift plans the applied cookbooks with the vars file they were applied with", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-drift-" });
  try {
    const book = `${dir}/book.yaml`;
    const vars = `${dir}/vars.yaml`;
    await Deno.writeTextFile(
      book,
      `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${dir}/app.env\n` +
        `      content: "TOKEN={{ token }}\\n"\n`,
    );
    await Deno.writeTextFile(vars, "vars: {token: from-the-node}\n", { mode: 0o600 });
    const stateDir = statePaths(`${dir}/state`).dir;
    await converge([book], exec, { mode: "apply", stateDir, lock: "take", varsFile: vars });
    assert.equal(await Deno.readTextFile(`${dir}/app.env`), "TOKEN=from-the-node\n");
    const found = await checkDrift(exec, { stateDir });
    assert.deepEqual(found.drifted.map((r) => r.id), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drift of a directory opened to anyone names the directory, not a failure of the files under it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-drift-" });
  try {
    const book = `${dir}/book.yaml`;
    await Deno.writeTextFile(
      book,
      `configure:\n  directories:\n    - path: ${dir}/www\n      mode: "0755"\n` +
        `  files:\n    - path: ${dir}/www/index.html\n      content: hi\n`,
    );
    const stateDir = statePaths(`${dir}/state`).dir;
    await converge([book], exec, { mode: "apply", stateDir, lock: "take" });
    Deno.chmodSync(`${dir}/www`, 0o777);
    const found = await checkDrift(exec, { stateDir });
    assert.deepEqual(found.drifted.map((r) => r.id), [`directory[${dir}/www]`]);
    assert.deepEqual(found.plan.resources.map((r) => r.status), ["changed", "unchanged"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drift leaves out a command that runs every time; one whose guard asks to run again is drift", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-drift-" });
  try {
    const book = `${dir}/book.yaml`;
    const made = `${dir}/made`;
    await Deno.writeTextFile(
      book,
      `install:\n  pre_install:\n    - command: /bin/true\n` +
        `    - command: [touch, ${made}]\n      creates: ${made}\n`,
    );
    const stateDir = statePaths(`${dir}/state`).dir;
    await converge([book], exec, { mode: "apply", stateDir, lock: "take" });
    assert.deepEqual((await checkDrift(exec, { stateDir })).drifted.map((r) => r.id), []);
    await Deno.remove(made);
    assert.deepEqual((await checkDrift(exec, { stateDir })).drifted.map((r) => r.id), [
      `command[touch ${made}]`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

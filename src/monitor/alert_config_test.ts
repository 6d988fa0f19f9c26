import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { AlertConfigError, CookbookError } from "../errors.ts";
import { readAlertConfig, targetSecrets } from "./alert_config.ts";
import { parseAlertConfig } from "./_alert_schema.ts";
import { probeWith } from "../exec/plan_probe.ts";

const GOOD = "targets:\n  ops:\n    type: webhook\n    url: https://h.example.com/x\n";

Deno.test("an alert file that group or others can access, or another user owns, is refused", async () => {
  for (const mode of [0o644, 0o640, 0o604, 0o610]) {
    const exec = new RecordingExecutor().put("/etc/cm/alerts.yaml", GOOD, { mode });
    await assert.rejects(() => readAlertConfig(exec, "/etc/cm/alerts.yaml", 0), AlertConfigError);
  }
  const foreign = new RecordingExecutor().put("/a.yaml", GOOD, { mode: 0o600, uid: 1000 });
  await assert.rejects(
    () => readAlertConfig(foreign, "/a.yaml", 0),
    /belongs to uid 1000, not root/,
  );
  const dir = new RecordingExecutor().put("/a.yaml");
  await assert.rejects(() => readAlertConfig(dir, "/a.yaml", 0), /is not a regular file/);
});

Deno.test("a missing alert file means no alerts; a root-only one is read with defaults", async () => {
  assert.equal(await readAlertConfig(new RecordingExecutor(), "/none.yaml", 0), null);
  const exec = new RecordingExecutor().put("/a.yaml", GOOD, { mode: 0o600 });
  assert.deepEqual(await readAlertConfig(exec, "/a.yaml", 0), {
    timeout: 10,
    targets: { ops: { type: "webhook", url: "https://h.example.com/x" } },
  });
});

Deno.test("the parsed alert file is cached sealed and parsed again only when its bytes change", async () => {
  const exec = new RecordingExecutor().put("/a.yaml", GOOD, { mode: 0o600 }).put("/state");
  let parses = 0;
  const probe = probeWith(exec, {
    readFile(path) {
      if (path === "/a.yaml") parses++;
      return exec.readFile(path);
    },
  });
  const cache = { exec, path: "/state/alert_config.json" };
  const read = () => readAlertConfig(probe, "/a.yaml", 0, cache);
  const ops = {
    timeout: 10,
    targets: { ops: { type: "webhook", url: "https://h.example.com/x" } },
  };
  assert.deepEqual([await read(), parses], [ops, 1]);
  const stored = exec.readText(cache.path)!;
  assert.doesNotMatch(stored, /h\.example\.com/, "the URL is a secret: sealed, not in the clear");
  assert.deepEqual([await read(), await read(), parses], [ops, ops, 1]);

  exec.put("/a.yaml", GOOD.replace("/x", "/y"), { mode: 0o600 });
  const moved = { type: "webhook", url: "https://h.example.com/y" };
  assert.deepEqual([(await read())?.targets.ops, parses], [moved, 2]);
  exec.put("/a.yaml", "targets:\n  ops:\n    type: pager\n", { mode: 0o600 });
  await assert.rejects(read, CookbookError);
  await assert.rejects(read, CookbookError, "a file with mistakes is never cached");
  exec.put("/a.yaml", GOOD, { mode: 0o600 }).put(cache.path, '{"sealed":"AAAA"}', { mode: 0o600 });
  assert.deepEqual(await read(), ops, "a damaged cache is parsed past");
  exec.put(cache.path);
  assert.deepEqual(await read(), ops, "a directory in its place too");
});

Deno.test("a cache the state directory refuses (permission denied) is passed over: the alerts still go", async () => {
  class Refusing extends RecordingExecutor {
    override readText(path: string): string | null {
      if (path === "/state/alert_config.json") throw new Deno.errors.PermissionDenied("denied");
      return super.readText(path);
    }
    override writeFile(...args: Parameters<RecordingExecutor["writeFile"]>): void {
      if (args[0] === "/state/alert_config.json") {
        throw new Deno.errors.PermissionDenied("operation not permitted");
      }
      super.writeFile(...args);
    }
  }
  const exec = new Refusing().put("/a.yaml", GOOD, { mode: 0o600 }).put("/state")
    .put("/state/alert_config.json", '{"sealed":"AAAA"}', { mode: 0o600 });
  const config = await readAlertConfig(exec, "/a.yaml", 0, {
    exec,
    path: "/state/alert_config.json",
  });
  assert.deepEqual(config?.targets.ops, { type: "webhook", url: "https://h.example.com/x" });
});

Deno.test("alert file mistakes are reported at file:line:col with the field", () => {
  const bad = "targets:\n  ops:\n    type: webhook\n    url: ftp://x\n  mail:\n    type: pager\n";
  let text = "";
  try {
    parseAlertConfig(bad, "/etc/cm/alerts.yaml");
  } catch (error) {
    assert.ok(error instanceof CookbookError);
    text = error.message;
  }
  assert.match(
    text,
    /^\/etc\/cm\/alerts\.yaml:4:10: targets\.ops\.url: expected an http:\/\/ or https:\/\/ URL/m,
  );
  assert.match(
    text,
    /^\/etc\/cm\/alerts\.yaml:6:\d+: targets\.mail(\.type)?: expected type: webhook, slack or email/m,
  );
  const injected = "targets:\n  m:\n    type: email\n    to: ['a@b, evil@c']\n";
  assert.throws(
    () => parseAlertConfig(injected, "a.yaml"),
    /targets\.m\.to\[0\]: expected one address/,
  );
});

Deno.test("a target's URL and header values are its secrets", () => {
  assert.deepEqual(
    targetSecrets({ type: "webhook", url: "https://h/x", headers: { Authorization: "Bearer t" } }),
    ["https://h/x", "Bearer t"],
  );
  assert.deepEqual(targetSecrets({ type: "email", to: ["a@b"] }), []);
});

Deno.test("a refused URL or header value is not shown: it may be the target's secret", () => {
  const bad =
    "targets:\n  chat:\n    type: slack\n    url: 'https://hooks.example.com/T0/SEKRET1 x'\n" +
    '  ops:\n    type: webhook\n    url: https://h/x\n    headers:\n      Authorization: "Bearer SEKRET2\\n"\n';
  assert.throws(() => parseAlertConfig(bad, "a.yaml"), (error) => {
    assert.ok(error instanceof CookbookError);
    assert.equal(error.problems.length, 2);
    assert.match(error.message, /targets\.chat\.url: .*got \(sensitive: not shown\)/);
    assert.ok(!/SEKRET/.test(error.message), error.message);
    return true;
  });
});

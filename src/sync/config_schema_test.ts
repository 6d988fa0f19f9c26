import assert from "node:assert/strict";
import { ConfigError } from "../errors.ts";
import { parseNodeConfig } from "./config_schema.ts";

/** The problems `text` has as a node configuration, one message each. */
function problemsOf(text: string): string[] {
  try {
    parseNodeConfig(text, "c.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n");
    throw error;
  }
  return [];
}

Deno.test("a path in /proc, /sys or /dev is refused for every path field, at its line", () => {
  for (const field of ["credentials", "trusted_keys", "vars_file", "metrics_dir", "alerts"]) {
    for (
      const path of ["/proc/self", "/sys/kernel", "/dev/sda", "/dev", "//proc", "/var/../dev/x"]
    ) {
      assert.deepEqual(problemsOf(`repo: file:///r\n${field}: ${path}\n`), [
        `c.yaml:2:${field.length + 3}: ${field}: expected a path outside /proc, /sys and /dev ` +
        `(kernel and device files), got "${path}"`,
      ]);
    }
  }
  assert.match(problemsOf("audit_log: /dev/sda\n")[0], /audit_log: expected a path outside/);
  for (const path of ["/device", "/var/lib/prometheus/proc", "/srv/dev/x", "/processes"]) {
    assert.equal(parseNodeConfig(`metrics_dir: ${path}\n`, "c.yaml").metrics_dir, path);
  }
  assert.deepEqual(problemsOf("metrics_dir: proc/self\n"), [
    'c.yaml:1:14: metrics_dir: expected an absolute path, got "proc/self"',
  ]);
});

Deno.test("a value tagged !!binary, !!timestamp, !!set or a custom tag is refused naming the field and the tag", () => {
  const tagged = (field: string, tag: string) =>
    new RegExp(
      `^c\\.yaml:\\d+:\\d+: ${field}: expected a string, number, true or false, or a list, got a value tagged ${tag}$`
        .replace(/[[\]]/g, "\\$&"),
    );
  for (
    const [text, field, tag] of [
      ["metrics_dir: !!binary aGVsbG8=\n", "metrics_dir", "!!binary"],
      ["interval: !!binary aGVsbG8=\n", "interval", "!!binary"],
      ["alerts: !!timestamp 2001-12-14\n", "alerts", "!!timestamp"],
      ["repo: !!set {a}\n", "repo", "!!set"],
      ["repo: !vault abc\n", "repo", "!vault"],
      ["cookbooks: [a.yaml, !!binary aGk=]\n", "cookbooks[1]", "!!binary"],
    ]
  ) {
    const problems = problemsOf(text);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], tagged(field, tag));
  }
  const long = Array.from({ length: 40 }, (_, i) => `  - c${i}.yaml\n`).join("");
  assert.match(
    problemsOf(`cookbooks:\n${long}  - !!binary aGk=\n`)[0],
    tagged("cookbooks[40]", "!!binary"),
  );
  // The value is not shown: a refused repo may hold a token.
  assert.ok(!problemsOf("repo: !!binary aGVsbG8=\n")[0].includes("aGVsbG8"));
});

Deno.test("the core schema's tags still read as their values", () => {
  assert.deepEqual(
    parseNodeConfig(
      "repo: !!str file:///r\ninterval: !!int 300\nsplay: !!float 1.5\nverify_signatures: !!bool false\n" +
        "cookbooks: !!seq [a.yaml]\n",
      "c.yaml",
    ),
    {
      repo: "file:///r",
      interval: 300,
      splay: 1.5,
      verify_signatures: false,
      cookbooks: ["a.yaml"],
    },
  );
});

Deno.test("a path holding a NUL, a tab or an escape sequence is refused at its line, escaped", () => {
  for (const path of ["/srv/m\\u0000", "/srv/a\\tb", "/var/log/\\u001b]0;x\\u0007a.log"]) {
    assert.deepEqual(problemsOf(`metrics_dir: "${path}"\n`), [
      `c.yaml:1:14: metrics_dir: expected a path without control characters, got "${path}"`,
    ]);
  }
});

Deno.test("a configuration of comments only (or empty) leaves every field to its default; ~ is still refused", () => {
  assert.deepEqual(parseNodeConfig("# metrics_dir: /srv/metrics\n", "c.yaml"), {});
  assert.deepEqual(parseNodeConfig("", "c.yaml"), {});
  assert.deepEqual(problemsOf("~\n"), ["c.yaml:1:1: expected a mapping, got nothing"]);
});

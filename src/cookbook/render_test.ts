import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { parseCookbooks } from "./parse.ts";
import { renderCookbooks } from "./render.ts";

async function render(files: Record<string, string>, facts?: Record<string, unknown>) {
  const exec = new RecordingExecutor();
  for (const [name, text] of Object.entries(files)) exec.put(`/cb/${name}`, text);
  const parsed = parseCookbooks(["/cb/a.yaml"], exec);
  assert.deepEqual(parsed.problems, []);
  return { parsed, ...await renderCookbooks(parsed.value, exec, { facts }) };
}

Deno.test("the render stage gives rendered copies and leaves the parsed cookbooks as they were", async () => {
  const { parsed, value, problems } = await render({
    "a.yaml":
      'vars:\n  port: 80\n  listen: "{{ port }}"\nconfigure:\n  files:\n    - path: /x\n      content: "{{ listen }}"\n',
  });
  assert.deepEqual(problems, []);
  assert.equal(value.sources[0].raw.configure.files[0].content, "80");
  assert.equal(parsed.value.sources[0].raw.configure.files[0].content, "{{ listen }}");
});

Deno.test("the render stage reports an unknown variable where it was written and keeps going", async () => {
  const { problems } = await render({
    "a.yaml": "configure:\n  files:\n    - path: /{{ dir }}\n      content: '{{ nope }}'\n",
  });
  assert.deepEqual(problems.map((p) => `${p.at.line}:${p.at.col}: ${p.path}`), [
    "3:13: configure.files[0].path",
    "4:16: configure.files[0].content",
  ]);
});

Deno.test("a role included twice sees the vars each include passes over its defaults; siblings are apart", async () => {
  const role =
    'vars:\n  name: none\n  port: 80\nconfigure:\n  files:\n    - path: "/{{ name }}"\n' +
    '      content: "{{ port }}"\n';
  const { value, problems } = await render({
    "a.yaml": "include:\n  - {cookbook: role.yaml, vars: {name: one}}\n" +
      "  - {cookbook: role.yaml, vars: {name: two, port: 81}}\n  - other.yaml\n",
    "role.yaml": role,
    "other.yaml": "vars:\n  name: other\n",
  });
  assert.deepEqual(problems, []);
  const files = value.sources.flatMap((s) => s.raw.configure?.files ?? []);
  assert.deepEqual(files, [{ path: "/one", content: "80" }, { path: "/two", content: "81" }]);
});

Deno.test("when: is evaluated over facts and vars, and taken out of the item", async () => {
  const { value, problems } = await render({
    "a.yaml": "vars:\n  big: true\ninstall:\n  install:\n" +
      "    - {package: a, when: 'facts.os.id == \"ubuntu\"'}\n    - {package: b, when: big}\n",
  }, { "os.id": "debian" });
  assert.deepEqual(problems, []);
  const [source] = value.sources;
  assert.deepEqual(source.raw.install.install, [{ package: "a" }, { package: "b" }]);
  const extras = value.extras.get(source)!;
  assert.equal(extras.get("install.install[0]")?.skip, 'when: facts.os.id == "ubuntu" is false');
  assert.equal(extras.get("install.install[1]"), undefined);
});

Deno.test("a backslash before braces is a located error pointing at raw", async () => {
  const { problems } = await render({
    "a.yaml": "configure:\n  files:\n    - path: /x\n      content: 'a \\{{ b }}'\n",
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /does not escape braces: write \{% raw %\}/);
});

Deno.test("a placeholder that does not parse is a located error", async () => {
  const { problems } = await render({
    "a.yaml": "configure:\n  files:\n    - path: /x\n      content: '{{.Names}}'\n",
  });
  assert.deepEqual(problems.map((p) => `${p.at.line}:${p.path}: ${p.message}`), [
    '4:configure.files[0].content: unexpected "." (write {% raw %}{{ ... }}{% endraw %} for literal braces)',
  ]);
});

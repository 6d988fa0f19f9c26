import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { renderCookbooks } from "./render.ts";
import { mergeVars } from "./vars.ts";
import { parseYaml, type YamlSource } from "./yaml_source.ts";

const parse = (text: string) => parseYaml("/cb/a.yaml", text, "a cookbook") as YamlSource;

Deno.test("the render stage gives rendered copies and leaves the parsed cookbooks as they were", async () => {
  const source = parse(
    'vars:\n  port: 80\n  listen: "{{ port }}"\nconfigure:\n  files:\n    - path: /x\n      content: "{{ listen }}"\n',
  );
  const vars = mergeVars({ sources: [source], includesOf: new Map() });
  const { value, problems } = await renderCookbooks([source], vars.value, new RecordingExecutor());
  assert.deepEqual(problems, []);
  assert.equal(value.sources[0].raw.configure.files[0].content, "80");
  assert.equal(source.raw.configure.files[0].content, "{{ listen }}");
  assert.equal(vars.value.values.listen, "{{ port }}");
});

Deno.test("the render stage reports an unknown variable where it was written and keeps going", async () => {
  const source = parse(
    "configure:\n  files:\n    - path: /{{ dir }}\n      content: '{{ nope }}'\n",
  );
  const vars = mergeVars({ sources: [source], includesOf: new Map() });
  const { problems } = await renderCookbooks([source], vars.value, new RecordingExecutor());
  assert.deepEqual(problems.map((p) => `${p.at.line}:${p.at.col}: ${p.path}`), [
    "3:13: configure.files[0].path",
    "4:16: configure.files[0].content",
  ]);
});

import assert from "node:assert/strict";
import { LineCounter, parseDocument } from "yaml";
import { composeLongLists, KEPT_ITEMS } from "./_long_lists.ts";
import { parseYaml, positionOf, type YamlSource } from "./yaml_source.ts";

const COUNT = KEPT_ITEMS + 8;

/** A cookbook of `COUNT` files; `item(i)` may replace the text of file `i`. */
function cookbook(item: (i: number) => string | undefined = () => undefined): string {
  const files = Array.from({ length: COUNT }, (_, i) =>
    item(i) ??
      `    - path: /etc/f${i}.conf\n      mode: "0644"\n      content: |\n        line one of ${i}\n        line two\n`);
  return `name: long\nconfigure:\n  files:\n${files.join("")}  services:\n    - name: nginx\n`;
}

/** The source as the whole document gives it, for comparison. */
function whole(text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return { file: "t.yaml", doc, lines, raw: doc.toJS() };
}

const parsed = (text: string) => parseYaml("t.yaml", text, "a cookbook") as YamlSource;

Deno.test("a long list's later items are composed apart, into the same data and positions", () => {
  const text = cookbook();
  const composed = composeLongLists(text, new LineCounter(), {});
  assert.deepEqual([...composed!.lists.keys()], ["configure\0files"]);
  assert.equal(
    composed!.lists.get("configure\0files")!.values.filter(Boolean).length,
    COUNT - KEPT_ITEMS - 1,
  );
  const source = parsed(text);
  const expected = whole(text);
  assert.deepEqual(source.raw, expected.raw);
  for (const i of [0, KEPT_ITEMS, COUNT - 2, COUNT - 1]) {
    for (const path of [["configure", "files", i], ["configure", "files", i, "mode"]]) {
      assert.deepEqual(positionOf(source, path), positionOf(expected, path));
      assert.deepEqual(positionOf(source, path, true), positionOf(expected, path, true));
    }
  }
});

Deno.test("a short list stays in the document", () => {
  const text = "configure:\n  files:\n    - path: /a\n    - path: /b\n";
  assert.equal(composeLongLists(text, new LineCounter(), {})!.lists.size, 0);
  assert.deepEqual(parsed(text).raw, whole(text).raw);
});

Deno.test("an alias in a long list's item makes the whole document parsed", () => {
  const text = cookbook((i) =>
    i === 0
      ? `    - path: &name /etc/first\n`
      : i === COUNT - 3
      ? `    - path: /etc/alias\n      owner: *name\n`
      : undefined
  );
  assert.equal(composeLongLists(text, new LineCounter(), {}), undefined);
  const source = parsed(text);
  assert.deepEqual(source.raw, whole(text).raw);
  assert.equal(source.raw.configure.files[COUNT - 3].owner, "/etc/first");
});

Deno.test("an anchor in a long list's item makes the whole document parsed", () => {
  const text = cookbook((i) => i === COUNT - 3 ? `    - path: &late /etc/late\n` : undefined);
  assert.equal(composeLongLists(text, new LineCounter(), {}), undefined);
  assert.deepEqual(parsed(text).raw, whole(text).raw);
});

Deno.test("a YAML error in a long list's item is placed as in the whole document", () => {
  const text = cookbook((i) =>
    i === COUNT - 3 ? `    - path: /etc/dup\n      path: /etc/again\n` : undefined
  );
  const problems = parseYaml("t.yaml", text, "a cookbook");
  assert.ok(Array.isArray(problems));
  const line = text.split("\n").indexOf("      path: /etc/again") + 1;
  assert.deepEqual(problems.map((p) => [p.at.line, p.at.col]), [[line, 7]]);
  assert.match(problems[0].message, /"path" again \(duplicate key\)/);
});

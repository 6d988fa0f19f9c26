import assert from "node:assert/strict";
import { staticImports } from "../_testing.ts";
import { conditionTemplate, hasMarkup, loadEngine, TemplateError } from "./template.ts";

const engine = await loadEngine();
const context = { port: 8080, names: ["a.example", "b.example"], app: { name: "shop" } };

Deno.test("render fills in names, loops, conditions, filters and drops comments", () => {
  const text = "{# vhost #}listen {{ port }};\n{% for n in names %}server_name {{ n | upper }};\n" +
    "{% endfor %}{% if app.name == 'shop' %}{{ names | join(' ') }}{% endif %}";
  assert.equal(
    engine.render(text, context),
    "listen 8080;\nserver_name A.EXAMPLE;\nserver_name B.EXAMPLE;\na.example b.example",
  );
});

Deno.test("render does not escape HTML: these are configuration files", () => {
  assert.equal(engine.render("{{ x }}", { x: "<a & b>" }), "<a & b>");
});

Deno.test("default fills in a missing value", () => {
  assert.equal(engine.render("x={{ port | default(80) }}", {}), "x=80");
});

Deno.test("raw keeps braces literal", () => {
  assert.equal(engine.render("{% raw %}{{ .Names }}{% endraw %}", {}), "{{ .Names }}");
});

Deno.test("uses lists the names read from outside, with their positions, not loop variables", () => {
  const uses = engine.uses(
    "a\n  {{ facts.os.id }} {% for n in names %}{{ n }}{{ loop.index }}" +
      "{% endfor %}{{ port | default(1) }}{% set y = 2 %}{{ y }}",
  );
  assert.deepEqual(uses.map((u) => [u.path.join("."), u.line, u.col, u.optional]), [
    ["facts.os.id", 2, 6, false],
    ["names", 2, 33, false],
    ["port", 2, 79, true],
  ]);
});

Deno.test("uses marks what is printed as it is", () => {
  const [printed, filtered] = engine.uses("{{ names }}{{ names | join(',') }}");
  assert.equal(printed.printed, true);
  assert.equal(filtered.printed, undefined);
});

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    assert.ok(error instanceof TemplateError, String(error));
    return `${error.line}:${error.col}: ${error.message}`;
  }
  throw new Error("expected a TemplateError");
}

Deno.test("an unknown filter is located", () => {
  assert.equal(thrown(() => engine.uses("\n  {{ port | uper }}")), '2:13: unknown filter "uper"');
});

Deno.test("a syntax error is located", () => {
  assert.equal(
    thrown(() => engine.uses("ok\n{% if %}")),
    '2:7: unexpected "%}" (write {% raw %}{{ ... }}{% endraw %} for literal braces)',
  );
});

Deno.test("templates cannot include, import or extend other templates", () => {
  assert.match(thrown(() => engine.uses("{% include '/etc/shadow' %}")), /self-contained/);
  assert.match(thrown(() => engine.uses("{% extends 'base' %}")), /self-contained/);
  assert.match(thrown(() => engine.uses('{% import "m" as m %}')), /self-contained/);
});

Deno.test("templates cannot reach JavaScript through constructors", () => {
  assert.match(
    thrown(() => engine.render("{{ range.constructor('return 1')() }}", {})),
    /cannot read "constructor"/,
  );
  assert.match(thrown(() => engine.render("{{ x['__proto__'] }}", { x: {} })), /__proto__/);
});

Deno.test("a render's work is bounded: loops, calls, text size, range, batch; no regular expressions", () => {
  const refused: [string, RegExp][] = [
    ["{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}", /iterations/],
    ["{% for i in range(100000000) %}{% endfor %}", /iterations/],
    [
      "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
      /calls/,
    ],
    [
      '{% set s = "xxxxxxxx" %}{% for i in range(12) %}{% set s = s+s+s+s %}{% endfor %}{{ s }}',
      /16 MiB/,
    ],
    ["{% for i in range(999) %}{{ big }}{% endfor %}", /16 MiB/],
    ["{% for i in range(999) %}" + "y".repeat(1 << 16) + "{% endfor %}", /16 MiB/],
    ['{{ "x" | center(1000000000) }}', /16 MiB/],
    ['{{ "x" | indent(1000000000) }}', /16 MiB/],
    ["{{ [1] | batch(1000000000, 0) | length }}", /iterations/],
  ];
  const big = "z".repeat(1 << 20);
  for (const [text, expected] of refused) {
    assert.throws(
      () => engine.render(text, { big }),
      (e: Error) => e instanceof TemplateError && expected.test(e.message),
      text,
    );
  }
  assert.throws(() => engine.uses('{{ x | replace(r/(a+)+$/, "") }}'), /no regular expression/);
  assert.equal(
    engine.render("{% for i in range(3) %}{{ i }}{% endfor %}{{ 'ab' | center(6) }}|", {}),
    "012  ab  |",
  );
  assert.equal(
    engine.render("{{ range(1000000) | length }}", {}),
    "1000000",
    "the limit itself is allowed",
  );
});

Deno.test("a missing value printed is located at render", () => {
  assert.equal(
    thrown(() => engine.render("a\n {{ x.y }}", { x: {} })),
    "2:2: expected a value, got nothing",
  );
});

Deno.test("hasMarkup and conditionTemplate", () => {
  assert.equal(hasMarkup("plain { text }"), false);
  assert.equal(hasMarkup("{# c #}"), true);
  assert.equal(engine.render(conditionTemplate("port > 80"), { port: 8080 }), "true");
  assert.equal(engine.render(conditionTemplate("port > 80"), { port: 80 }), "");
});

Deno.test("nunjucks is not imported until a text needs it: not by cm, the loader or this module", async () => {
  for (const path of ["../../main.ts", "./load.ts", "./template.ts"]) {
    const statics = await staticImports(new URL(path, import.meta.url).pathname);
    assert.ok([...statics].some((s) => s.endsWith(path.slice(path.lastIndexOf("/")))), path);
    assert.deepEqual([...statics].filter((s) => s.includes("nunjucks")), [], path);
  }
});

import assert from "node:assert/strict";
import { makeLookup, render } from "./template.ts";

const lookup = makeLookup(
  { port: 8080, app: { name: "shop" } },
  (name) => ({ hostname: "web1" })[name],
);

Deno.test("render fills in vars, nested vars and facts", () => {
  assert.equal(render("{{ port }} {{app.name}} {{ facts.hostname }}", lookup), "8080 shop web1");
});

Deno.test("render leaves braces that hold no plain name alone", () => {
  assert.equal(render("a {{ $x }} b {{}}", lookup), "a {{ $x }} b {{}}");
});

Deno.test("render keeps an escaped placeholder literal without the backslash", () => {
  assert.equal(render("\\{{ port }}", lookup), "{{ port }}");
});

Deno.test("render names an unknown variable and the ones that exist", () => {
  assert.throws(
    () => render("{{ prot }}", lookup),
    /unknown variable "prot"; did you mean "port"\? \(vars: port, app\)/,
  );
});

Deno.test("render refuses a mapping where a single value is needed", () => {
  assert.throws(
    () => render("{{ app }}", lookup),
    /expected "\{\{ app \}\}" to be a single value, got a mapping/,
  );
});

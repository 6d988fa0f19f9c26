import assert from "node:assert/strict";
import { noMatchingVersion, pinMatches, resolvePin } from "./apt_pin.ts";

const XXD = ["2:9.0.1378-2+deb12u2", "2:9.0.1378-2"];

Deno.test("a pin without an epoch matches the version with one (xxd)", () => {
  assert.equal(pinMatches("9.0.1378-2+deb12u2", "2:9.0.1378-2+deb12u2"), true);
  assert.equal(pinMatches("2:9.0.1378-2+deb12u2", "2:9.0.1378-2+deb12u2"), true);
  assert.equal(pinMatches("1:9.0.1378-2+deb12u2", "2:9.0.1378-2+deb12u2"), false);
  assert.equal(resolvePin("9.0.1378-2+deb12u2", XXD, XXD[0]), "2:9.0.1378-2+deb12u2");
});

Deno.test("a pin without a revision matches any revision of that upstream version", () => {
  assert.equal(pinMatches("9.0.1378", "2:9.0.1378-2+deb12u2"), true);
  assert.equal(pinMatches("9.0.137", "2:9.0.1378-2+deb12u2"), false);
  assert.equal(pinMatches("1.2-beta", "1.2-beta-1"), true);
  // The candidate wins among matches; without it, the newest.
  assert.equal(resolvePin("9.0.1378", XXD, XXD[1]), "2:9.0.1378-2");
  assert.equal(resolvePin("9.0.1378", XXD, null), "2:9.0.1378-2+deb12u2");
});

Deno.test("a pin with * is a glob over the whole version", () => {
  assert.equal(pinMatches("9.0.*", "2:9.0.1378-2"), true);
  assert.equal(pinMatches("2:9.0*", "2:9.0.1378-2"), true);
  assert.equal(pinMatches("9.1*", "2:9.0.1378-2"), false);
  // Dots and pluses are literal.
  assert.equal(pinMatches("9x0*", "9.0.1"), false);
  assert.equal(pinMatches("*+deb12u2", "2:9.0.1378-2+deb12u2"), true);
  assert.equal(resolvePin("9.0*", XXD, null), "2:9.0.1378-2+deb12u2");
});

Deno.test("a native version (no revision) matches itself only", () => {
  assert.equal(pinMatches("1.2", "1.2"), true);
  assert.equal(pinMatches("1", "1.2"), false);
  assert.equal(resolvePin("7", ["1.2"], "1.2"), undefined);
});

Deno.test("the reason names the versions apt offered", () => {
  assert.equal(
    noMatchingVersion("xxd", "8.2", XXD),
    'no candidate matches version "8.2" of "xxd" (apt has: 2:9.0.1378-2+deb12u2, 2:9.0.1378-2)',
  );
  assert.equal(
    noMatchingVersion("x", "1", []),
    'no candidate matches version "1" of "x" (apt has: none)',
  );
});

import assert from "node:assert/strict";
import { imageSourcesList, parseMirrors } from "./image.ts";

Deno.test("parseMirrors reads deb822 URIs and the security archive, ignoring other repositories", () => {
  const m = parseMirrors({
    "/etc/apt/sources.list.d/nodesource.sources":
      "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n",
    "/etc/apt/sources.list.d/debian.sources": [
      "Types: deb",
      "# a comment",
      "URIs: http://mirror.example/debian/",
      "Suites: bookworm bookworm-updates",
      "Components: main",
      "",
      "Types: deb",
      "URIs: http://mirror.example/debian-security",
      "Suites: bookworm-security",
      "Components: main",
    ].join("\n"),
    "/etc/apt/sources.list.d/google.list.disabled": "deb http://other.example/apt bookworm main\n",
  });
  assert.deepEqual(m, {
    archive: "http://mirror.example/debian",
    security: "http://mirror.example/debian-security",
  });
});

Deno.test("parseMirrors reads one-line sources with options and skips deb-src and comments", () => {
  const m = parseMirrors({
    "/etc/apt/sources.list": [
      "# deb http://commented.example/debian bookworm main",
      "deb-src http://src.example/debian bookworm main",
      "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian bookworm main",
    ].join("\n"),
  });
  assert.deepEqual(m, { archive: "http://one.example/debian" });
});

Deno.test("parseMirrors skips disabled deb822 stanzas and returns undefined without a Debian archive", () => {
  const text = "Enabled: no\nTypes: deb\nURIs: http://x.example/debian\nSuites: bookworm\n";
  assert.equal(parseMirrors({ "a.sources": text }), undefined);
});

Deno.test("imageSourcesList adds bookworm-security only when the host has a security mirror", () => {
  assert.equal(
    imageSourcesList({ archive: "http://m/debian" }),
    "deb http://m/debian bookworm main\ndeb http://m/debian bookworm-updates main\n",
  );
  assert.match(
    imageSourcesList({ archive: "http://m/debian", security: "http://s" }),
    /deb http:\/\/s bookworm-security main\n$/,
  );
});

import assert from "node:assert/strict";
import { type Resource, targetResolver } from "./cookbook.ts";
import { loadKinds } from "../../resources/mod.ts";

// Resolving targets asks each kind what it claims.
await loadKinds();

const resource = (kind: string, name: string, spec: Record<string, unknown>): Resource => ({
  kind,
  id: `${kind}[${name}]`,
  spec,
  at: { file: "a.yaml", line: 1, col: 1 },
  path: "",
  section: 0,
});

Deno.test("targets resolve as ids, as paths a resource claims, and as bare names of an id", () => {
  const resolve = targetResolver([
    resource("directory", "/srv", { path: "/srv" }),
    resource("package", "nginx", { package: "nginx" }),
    resource("service", "php-fpm", { name: "php-fpm" }),
  ]);
  assert.equal(resolve("service[php-fpm]"), "service[php-fpm]");
  assert.equal(resolve("/srv"), "directory[/srv]");
  assert.equal(resolve("nginx"), "package[nginx]");
  assert.equal(resolve("/srv/www"), undefined);
  assert.equal(resolve("service[nginx]"), undefined);
});

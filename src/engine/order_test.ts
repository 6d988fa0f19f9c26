import assert from "node:assert/strict";
import type { Resource } from "../cookbook/load.ts";
import { CookbookError } from "../errors.ts";
import { implicitRequirements, order } from "./order.ts";
import { loadKinds } from "../../resources/mod.ts";

// Resolving targets asks each kind what it claims.
await loadKinds();

const res = (id: string, section: number, requires?: string[]): Resource => ({
  kind: id.slice(0, id.indexOf("[")),
  id,
  spec: requires ? { requires } : {},
  at: { file: "a.yaml", line: section + 1, col: 1 },
  path: id,
  section,
});

Deno.test("order runs sections in registry order and declared order inside a section", () => {
  const sorted = order([
    res("file[/b]", 4),
    res("package[a]", 1),
    res("file[/a]", 4),
    res("command[x]", 0),
  ]);
  assert.deepEqual(sorted.map((r) => r.id), ["command[x]", "package[a]", "file[/b]", "file[/a]"]);
});

Deno.test("order moves a resource after what it requires, and no further", () => {
  const sorted = order([
    res("command[early]", 0, ["file[/conf]"]),
    res("package[a]", 1),
    res("file[/conf]", 4),
    res("file[/other]", 4),
  ]);
  assert.deepEqual(sorted.map((r) => r.id), [
    "package[a]",
    "file[/conf]",
    "command[early]",
    "file[/other]",
  ]);
});

Deno.test("order accepts a bare path in requires", () => {
  const sorted = order([res("command[x]", 0, ["/conf"]), res("file[/conf]", 4)]);
  assert.deepEqual(sorted.map((r) => r.id), ["file[/conf]", "command[x]"]);
});

Deno.test("order rejects a requires cycle naming its members", () => {
  assert.throws(
    () =>
      order([
        res("file[/a]", 4, ["file[/b]"]),
        res("file[/b]", 4, ["file[/a]"]),
        res("file[/c]", 4),
      ]),
    (e: unknown) =>
      e instanceof CookbookError &&
      /requires cycle among file\[\/a\], file\[\/b\]/.test(e.message) &&
      e.problems.length === 2,
  );
});

Deno.test("packages wait for the run's repositories, unless a repository requires the package", () => {
  const sorted = order([
    res("package[nodejs]", 2),
    res("package[curl]", 2),
    res("apt_repository[nodesource]", 1, ["package[curl]"]),
  ]);
  assert.deepEqual(sorted.map((r) => r.id), [
    "package[curl]",
    "apt_repository[nodesource]",
    "package[nodejs]",
  ]);
});

Deno.test("packages that repositories require wait for none: two repositories requiring one each make no cycle", () => {
  const sorted = order([
    res("apt_repository[docker]", 1, ["package[gnupg]"]),
    res("apt_repository[nodesource]", 1, ["package[ca-certificates]"]),
    res("package[gnupg]", 2),
    res("package[ca-certificates]", 2),
    res("package[docker-ce]", 2),
  ]);
  assert.deepEqual(sorted.map((r) => r.id), [
    "package[gnupg]",
    "apt_repository[docker]",
    "package[ca-certificates]",
    "apt_repository[nodesource]",
    "package[docker-ce]",
  ]);
});

Deno.test("a package being removed waits for no repository", () => {
  const repo = res("apt_repository[nodesource]", 1);
  const removed = { ...res("package[apache2]", 2), spec: { state: "absent" } };
  const waits = implicitRequirements([repo, removed, res("package[nodejs]", 2)], () => undefined);
  assert.deepEqual(waits(removed), []);
  assert.deepEqual(waits(res("package[nodejs]", 2)), ["apt_repository[nodesource]"]);
});

Deno.test("a group removed goes after the users removed: groupdel refuses a user's primary group", async () => {
  const { SECTIONS } = await import("../../resources/mod.ts");
  const section = (name: string) => SECTIONS.findIndex((s) => s.path[1] === name);
  const [groups, users] = [section("groups"), section("users")];
  const with_ = (r: Resource, state: string) => ({ ...r, spec: { ...r.spec, state } });
  const resources = [
    with_(res("group[web]", groups), "absent"),
    res("group[app]", groups),
    with_(res("user[web]", users), "absent"),
    res("user[app]", users),
  ];
  assert.deepEqual(order(resources).map((r) => r.id), [
    "group[app]",
    "user[web]",
    "group[web]",
    "user[app]",
  ]);
  const implicit = implicitRequirements(resources, () => undefined);
  assert.deepEqual(resources.map(implicit), [["user[web]"], [], [], []]);
  // Nothing removed: the declared order.
  assert.deepEqual(order(resources.slice(1).concat(res("group[db]", groups))).map((r) => r.id), [
    "group[app]",
    "group[db]",
    "user[web]",
    "user[app]",
  ]);
});

Deno.test("users removed run before the users created: a uid or name freed is taken in the same run", async () => {
  const { SECTIONS } = await import("../../resources/mod.ts");
  const users = SECTIONS.findIndex((s) => s.path[1] === "users");
  const removed = (r: Resource) => ({ ...r, spec: { ...r.spec, state: "absent" } });
  const sorted = order([
    res("user[deploy]", users),
    res("file[/a]", users + 1),
    removed(res("user[olddeploy]", users)),
    res("user[web]", users),
    removed(res("user[gone]", users)),
  ]);
  assert.deepEqual(sorted.map((r) => r.id), [
    "user[olddeploy]",
    "user[gone]",
    "user[deploy]",
    "user[web]",
    "file[/a]",
  ]);
});

import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { RealExecutor } from "../src/exec/real.ts";
import type { Change } from "./resource.ts";
import { testContext } from "./_testing.ts";
import {
  aptPackage,
  listsStale,
  NOTE_UNKNOWN,
  type PackageSpec,
  type PackageState,
} from "./apt_package.ts";
import { parsePolicy, parseReverseProvides } from "../src/facts/apt_cache.ts";
import { DPKG_STATUS } from "../src/facts/dpkg.ts";
import { markDrift } from "../src/state/drift.ts";
import { schema as packageSchema } from "./apt_package_schema.ts";

const QUERY = [
  "dpkg-query",
  "-W",
  "-f",
  "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n",
  "--",
];
const APT_GET = [
  "apt-get",
  "-q",
  "-y",
  "-o",
  "Dpkg::Use-Pty=0",
  "-o",
  "Dpkg::Options::=--force-confdef",
  "-o",
  "Dpkg::Options::=--force-confold",
  "-o",
  "DPkg::Lock::Timeout=120",
];

function context(mode: "plan" | "apply" = "apply") {
  const ctx = testContext(mode);
  return { ctx, progress: ctx.lines, warnings: ctx.warnings };
}

function spec(fields: Partial<PackageSpec> & { package: string }): PackageSpec {
  return packageSchema.parse(fields);
}

/** A fake machine with fresh package lists and the given dpkg-query / apt-cache output. */
/** `apt-cache policy` without names on a machine with package lists (bookworm, abridged). */
const PACKAGE_FILES = `Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://deb.debian.org/debian bookworm/main amd64 Packages
     release v=12.12,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64
     origin deb.debian.org
Pinned packages:
`;

function machine(dpkg: string, policy = ""): RecordingExecutor {
  return new RecordingExecutor()
    .put("/var/lib/apt/lists", undefined, { mtimeMs: Date.now() - 60_000 })
    .on(["dpkg-query"], { code: dpkg.includes("missing") ? 1 : 0, stdout: dpkg })
    .on(
      ["apt-cache", "policy"],
      (argv) => ({ stdout: argv.length === 2 ? PACKAGE_FILES : policy }),
    );
}

function policyBlock(name: string, installed: string, candidate: string, ...more: string[]) {
  const table = [candidate, ...more].map((v) =>
    `${
      v === installed ? " ***" : "    "
    } ${v} 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n`
  ).join("");
  return `${name}:\n  Installed: ${installed}\n  Candidate: ${candidate}\n  Version table:\n${table}`;
}

async function plan(exec: RecordingExecutor, specs: PackageSpec[], mode: "plan" | "apply") {
  const { ctx } = context(mode);
  const states = await aptPackage.read(specs, exec, ctx);
  return specs.map((s, i) => ({ spec: s, changes: aptPackage.diff(s, states[i]) }));
}

Deno.test("package read asks dpkg-query once for every package of the batch", async () => {
  const exec = machine("bash\tamd64\t5.2\tii \ncurl\tamd64\t7.88\tii \nvim\tamd64\t9.0\trc \n");
  const specs = [spec({ package: "bash" }), spec({ package: "curl" }), spec({ package: "vim" })];
  const states = await aptPackage.read(specs, exec, context().ctx);
  assert.deepEqual(exec.calls[0], [...QUERY, "bash", "curl", "vim"]);
  assert.equal(exec.calls.filter((c) => c[0] === "dpkg-query").length, 1);
  assert.deepEqual(states.map((s) => s.status), ["installed", "installed", "config-files"]);
});

Deno.test("package read does not ask apt-cache when every present package is installed", async () => {
  const exec = machine("bash\tamd64\t5.2\tii \ncurl\tamd64\t7.88\tii \n");
  const items = await plan(exec, [spec({ package: "bash" }), spec({ package: "curl" })], "apply");
  assert.deepEqual(exec.calls.map((c) => c[0]), ["dpkg-query"]);
  assert.deepEqual(items.map((i) => i.changes), [[], []]);
});

Deno.test("package read of installed packages spawns nothing when dpkg's status file is readable", async () => {
  const status = Deno.readTextFileSync(
    new URL("../src/facts/testdata/dpkg_status_edge.txt", import.meta.url),
  );
  const exec = machine("").put(DPKG_STATUS, status);
  const specs = ["bash", "nginx", "libc6", "tzdata"].map((p) => spec({ package: p }));
  const { ctx } = context("plan");
  const states = await aptPackage.read(specs, exec, ctx);
  assert.deepEqual(exec.calls, []);
  assert.deepEqual(specs.map((s, i) => aptPackage.diff(s, states[i])), [[], [], [], []]);
  assert.deepEqual(states.map((s) => [s.version, s.held ?? false]), [
    ["5.2.15-2+b8", false],
    ["1.22.1-9+deb12u2", true],
    ["2.36-9+deb12u14", false],
    ["2025b-0+deb12u2", false],
  ]);
});

Deno.test("package apply runs no apt-get when all packages are already present", async () => {
  const exec = machine("bash\tamd64\t5.2\tii \n");
  const items = await plan(exec, [spec({ package: "bash" })], "apply");
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.equal(exec.calls.some((c) => c[0] === "apt-get"), false);
});

Deno.test("package apply installs every missing package in one apt-get transaction", async () => {
  const exec = machine(
    "bash\tamd64\t5.2\tii \n",
    policyBlock("nginx", "(none)", "1.22.1-9") + policyBlock("php-fpm", "(none)", "2:8.2+93"),
  );
  const specs = [
    spec({ package: "nginx" }),
    spec({ package: "bash" }),
    spec({ package: "php-fpm" }),
  ];
  const items = await plan(exec, specs, "apply");
  assert.deepEqual(items[0].changes, [{ field: "state", before: "absent", after: "present" }]);
  assert.deepEqual(items[1].changes, []);
  const { ctx, progress } = context();
  exec.on(["apt-get"], (_argv, options) => {
    assert.equal(options.env?.DEBIAN_FRONTEND, "noninteractive");
    options.onLine?.("Setting up nginx (1.22.1-9) ...");
    return {};
  });
  const outcomes = await aptPackage.apply(items, exec, ctx);
  assert.deepEqual(outcomes, [{ ok: true }, { ok: true }, { ok: true }]);
  const aptCalls = exec.calls.filter((c) => c[0] === "apt-get");
  assert.deepEqual(aptCalls, [[
    ...APT_GET,
    "install",
    "--no-install-recommends",
    "--",
    "nginx",
    "php-fpm",
  ]]);
  assert.deepEqual(progress, ["Setting up nginx (1.22.1-9) ..."]);
});

Deno.test("package apply leaves out Recommends unless a package asks for them", async () => {
  const exec = machine(
    "",
    policyBlock("cron", "(none)", "3.0pl1-162") + policyBlock("nginx", "(none)", "1.22.1-9"),
  );
  const specs = [
    spec({ package: "cron" }),
    spec({ package: "nginx", install_recommends: true }),
  ];
  const items = await plan(exec, specs, "apply");
  await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(exec.calls.filter((c) => c[0] === "apt-get" && c.includes("install")), [
    [...APT_GET, "install", "--no-install-recommends", "--", "cron"],
    [...APT_GET, "install", "--install-recommends", "--", "nginx"],
  ]);
});

Deno.test("package apply refreshes stale package lists once before installing", async () => {
  const exec = machine("", policyBlock("nginx", "(none)", "1.22.1-9"))
    .put("/var/lib/apt/lists", undefined, { mtimeMs: Date.now() - 3 * 24 * 3600_000 })
    .put("/var/lib/apt/periodic");
  assert.equal(listsStale(exec, Date.now()), true);
  const items = await plan(exec, [spec({ package: "nginx" })], "apply");
  const { ctx } = context();
  await aptPackage.apply(items, exec, ctx);
  await aptPackage.apply(items, exec, ctx);
  const aptCalls = exec.calls.filter((c) => c[0] === "apt-get");
  assert.deepEqual(aptCalls, [
    [...APT_GET, "update"],
    [...APT_GET, "install", "--no-install-recommends", "--", "nginx"],
    [...APT_GET, "install", "--no-install-recommends", "--", "nginx"],
  ]);
  assert.deepEqual(exec.writes, ["write /var/lib/apt/periodic/update-success-stamp"]);
});

Deno.test("package apply does not update fresh lists when every package has a candidate", async () => {
  const exec = machine("", policyBlock("nginx", "(none)", "1.22.1-9"));
  const items = await plan(exec, [spec({ package: "nginx" })], "apply");
  await aptPackage.apply(items, exec, context().ctx);
  assert.equal(exec.calls.some((c) => c.includes("update")), false);
});

Deno.test("package plan reports an unknown package with a note and never updates", async () => {
  const exec = machine("").put("/var/lib/apt/lists", undefined, { mtimeMs: 0 });
  const items = await plan(exec, [spec({ package: "nginx" })], "plan");
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "unknown", after: "present", note: NOTE_UNKNOWN },
  ]);
  assert.deepEqual(exec.calls, [[...QUERY, "nginx"], ["apt-cache", "policy", "--", "nginx"]]);
});

Deno.test("package plan fails a name that fresh package lists do not have, with the nearest name", async () => {
  const exec = machine("").on(["apt-cache", "pkgnames"], { stdout: "nginx\nbash\nnginx-core\n" });
  const items = await plan(exec, [spec({ package: "ngnix" }), spec({ package: "zzzq" })], "plan");
  assert.deepEqual(items.map((i) => i.changes), [
    [{
      field: "state",
      before: "unknown",
      after: "present",
      note: 'package "ngnix" is not known to apt: did you mean "nginx"?',
      blocked: true,
    }],
    [{
      field: "state",
      before: "unknown",
      after: "present",
      note: 'package "zzzq" is not known to apt',
      blocked: true,
    }],
  ]);
  assert.equal(exec.calls.filter((c) => c[1] === "pkgnames").length, 1);
});

Deno.test("package plan does not fail an unknown name when an apt repository changes earlier in the run", async () => {
  const exec = machine("").on(["apt-cache", "pkgnames"], { stdout: "nginx\n" });
  const ctx = testContext("plan", ["apt_repository[local-test]"]);
  const specs = [spec({ package: "cm-hello" })];
  const [state] = await aptPackage.read(specs, exec, ctx);
  const changes = aptPackage.diff(specs[0], state);
  assert.equal(changes[0].blocked, undefined);
  assert.equal(exec.calls.filter((c) => c[1] === "pkgnames").length, 0);
});

Deno.test("package plan does not fail a name apt has no lists for, however new their directory", async () => {
  // Cloud images: /var/lib/apt/lists emptied, only dpkg's status file left.
  const exec = machine("").on(["apt-cache", "policy"], (argv) => ({
    stdout: argv.length === 2
      ? "Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n"
      : "",
  }));
  const items = await plan(exec, [spec({ package: "nginx" })], "plan");
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "unknown", after: "present", note: NOTE_UNKNOWN },
  ]);
  assert.deepEqual(exec.calls.slice(2), [["apt-cache", "policy"]]);
});

Deno.test("package apply updates for an unknown package, then installs it", async () => {
  const exec = machine("");
  const items = await plan(
    exec,
    [spec({ package: "nginx" }), spec({ package: "typo-pkg" })],
    "apply",
  );
  exec.on(["apt-get", ...APT_GET.slice(1), "update"], () => {
    exec.on(["apt-cache", "policy"], { stdout: policyBlock("nginx", "(none)", "1.22.1-9") })
      .on(["apt-cache", "pkgnames"], { stdout: "nginx\ntypo-pkgs\n" });
    return {};
  });
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  // After the plan's dpkg-query, apt-cache policy (of the names, of the package files), pkgnames.
  assert.deepEqual(exec.calls.slice(4), [
    [...APT_GET, "update"],
    ["apt-cache", "policy", "--", "nginx", "typo-pkg"],
    ["apt-cache", "pkgnames"],
    [...APT_GET, "install", "--no-install-recommends", "--", "nginx"],
  ]);
  assert.deepEqual(outcomes, [
    { ok: true },
    { ok: false, error: 'package "typo-pkg" is not known to apt: did you mean "typo-pkgs"?' },
  ]);
});

Deno.test("package diff with latest upgrades to the candidate after asking apt-cache once", async () => {
  const exec = machine(
    "bash\tamd64\t5.2.15-2+b8\tii \ncurl\tamd64\t7.88.1-10\tii \n",
    policyBlock("bash", "5.2.15-2+b8", "5.2.15-2+b13", "5.2.15-2+b8") +
      policyBlock("curl", "7.88.1-10", "7.88.1-10"),
  );
  const specs = [
    spec({ package: "bash", version: "latest" }),
    spec({ package: "curl", version: "latest" }),
  ];
  const items = await plan(exec, specs, "apply");
  assert.deepEqual(exec.calls[1], ["apt-cache", "policy", "--", "bash", "curl"]);
  assert.deepEqual(items.map((i) => i.changes), [
    [{ field: "version", before: "5.2.15-2+b8", after: "5.2.15-2+b13" }],
    [],
  ]);
  await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(exec.calls.at(-1), [
    ...APT_GET,
    "install",
    "--no-install-recommends",
    "--",
    "bash",
  ]);
});

Deno.test("package fingerprints the version: an upgrade to a new upstream version is no drift, a reinstall is", async () => {
  const exec = machine(
    "bash\tamd64\t5.2.15-2+b8\tii \n",
    policyBlock("bash", "5.2.15-2+b8", "5.2.15-2+b13", "5.2.15-2+b8"),
  );
  const latest = spec({ package: "bash", version: "latest" });
  const [state] = await aptPackage.read([latest], exec, context().ctx);
  assert.equal(aptPackage.fingerprint!(latest, state), "5.2.15-2+b8");
  assert.equal(aptPackage.fingerprint!(latest, state, true), "5.2.15-2+b13");
  // The last run recorded the old version: the upgrade is no drift.
  const report = {
    id: "20261201T000000Z-1",
    mode: "apply" as const,
    startedAt: "2026-12-01T00:00:00.000Z",
    durationMs: 1,
    cookbooks: ["/c.yaml"],
    resources: [{
      id: "package[bash]",
      kind: "package",
      status: "changed" as const,
      changes: aptPackage.diff(latest, state),
      durationMs: 1,
      at: "/c.yaml:1:1",
      sha256: aptPackage.fingerprint!(latest, state, true),
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "ok" as const,
  };
  const was = (sha256: string) => ({
    "package[bash]": { status: "unchanged", desired: "d", sha256 },
  });
  assert.deepEqual(markDrift(report, was("5.2.15-2+b8"), { "package[bash]": "d" }), []);
  // Removed or downgraded by hand after the last run had installed the candidate: drift.
  assert.deepEqual(markDrift(report, was("5.2.15-2+b13"), { "package[bash]": "d" }), [
    "package[bash]",
  ]);
  assert.equal(
    aptPackage.fingerprint!(spec({ package: "bash", state: "absent" }), state),
    undefined,
  );
});

Deno.test("package diff with latest leaves alone an installed version newer than the candidate", () => {
  const spec_ = spec({ package: "nginx", version: "latest" });
  const local: PackageState = {
    status: "installed",
    version: "1.25.0-1",
    candidate: "1.22.1-9",
    available: ["1.22.1-9"],
  };
  assert.deepEqual(aptPackage.diff(spec_, local), []);
  // Numerically newer, not just a different string: 1.22.10 > 1.22.9, ~ before the release.
  const older = (version: string, candidate: string): PackageState => ({
    status: "installed",
    version,
    candidate,
    available: [candidate],
  });
  assert.deepEqual(aptPackage.diff(spec_, older("1.22.9-1", "1.22.10-1")), [
    { field: "version", before: "1.22.9-1", after: "1.22.10-1" },
  ]);
  assert.deepEqual(aptPackage.diff(spec_, older("1.24.0~rc1-1", "1.24.0-1")), [
    { field: "version", before: "1.24.0~rc1-1", after: "1.24.0-1" },
  ]);
  assert.deepEqual(aptPackage.diff(spec_, older("1:1.0-1", "2.0-1")), []);
});

Deno.test("package apply installs a pinned version with pkg=version and allows downgrades", async () => {
  const exec = machine(
    "nginx\tamd64\t1.24.0-1\tii \n",
    policyBlock("nginx", "1.24.0-1", "1.24.0-1", "1.22.1-9"),
  );
  const items = await plan(exec, [spec({ package: "nginx", version: "1.22.1-9" })], "apply");
  assert.deepEqual(items[0].changes, [{ field: "version", before: "1.24.0-1", after: "1.22.1-9" }]);
  await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(exec.calls.at(-1), [
    ...APT_GET,
    "--allow-downgrades",
    "install",
    "--no-install-recommends",
    "--",
    "nginx=1.22.1-9",
  ]);
});

Deno.test("package diff fails a pin that no version in the package lists matches", () => {
  const current: PackageState = {
    status: "installed",
    version: "1.22.1-9",
    candidate: "1.22.1-9",
    available: ["1.22.1-9"],
  };
  const changes = aptPackage.diff(spec({ package: "nginx", version: "9.9" }), current);
  assert.deepEqual(changes, [{
    field: "version",
    before: "1.22.1-9",
    after: "9.9",
    note: 'no candidate matches version "9.9" of "nginx" (apt has: 1.22.1-9)',
    blocked: true,
  }]);
});

const XXD_POLICY = policyBlock("xxd", "(none)", "2:9.0.1378-2+deb12u2", "2:9.0.1378-2");

Deno.test("package installs the full version a pin resolves to (xxd without its epoch)", async () => {
  for (const pin of ["9.0.1378-2+deb12u2", "9.0.1378-2+deb12u*", "2:9.0.1378-2+deb12u2"]) {
    const exec = machine("", XXD_POLICY);
    const items = await plan(exec, [spec({ package: "xxd", version: pin })], "apply");
    assert.deepEqual(items[0].changes.map((c) => c.after), ["present", "2:9.0.1378-2+deb12u2"]);
    assert.deepEqual(await aptPackage.apply(items, exec, context().ctx), [{ ok: true }]);
    assert.deepEqual(exec.calls.at(-1), [
      ...APT_GET,
      "--allow-downgrades",
      "install",
      "--no-install-recommends",
      "--",
      "xxd=2:9.0.1378-2+deb12u2",
    ]);
  }
  // Without a revision: the candidate among the matches.
  const exec = machine("", XXD_POLICY);
  const items = await plan(exec, [spec({ package: "xxd", version: "9.0.1378" })], "plan");
  assert.equal(items[0].changes[1].after, "2:9.0.1378-2+deb12u2");
});

Deno.test("package leaves an installed version that the pin names through the rule", () => {
  const current: PackageState = {
    status: "installed",
    version: "2:9.0.1378-2",
    candidate: "2:9.0.1378-2+deb12u2",
    available: ["2:9.0.1378-2+deb12u2", "2:9.0.1378-2"],
  };
  for (const pin of ["9.0.1378", "9.0.*", "9.0.1378-2"]) {
    assert.deepEqual(aptPackage.diff(spec({ package: "xxd", version: pin }), current), []);
  }
});

Deno.test("package apply looks a pin up again after apt-get update before failing it", async () => {
  const exec = machine("", XXD_POLICY);
  const items = await plan(exec, [spec({ package: "xxd", version: "9.1*" })], "apply");
  assert.equal(items[0].changes[1].blocked, true);
  exec.on([...APT_GET, "update"], () => {
    exec.on(["apt-cache", "policy"], {
      stdout: policyBlock("xxd", "(none)", "2:9.1.0-1", "2:9.0.1378-2"),
    });
    return {};
  });
  assert.deepEqual(await aptPackage.apply(items, exec, context().ctx), [{ ok: true }]);
  assert.deepEqual(exec.calls.at(-1), [
    ...APT_GET,
    "--allow-downgrades",
    "install",
    "--no-install-recommends",
    "--",
    "xxd=2:9.1.0-1",
  ]);
});

Deno.test("package plan and apply fail every change to a held package, and leave it alone", async () => {
  const exec = machine(
    "nginx\tamd64\t1.22.1-9\thi \n",
    policyBlock("nginx", "1.22.1-9", "1.22.1-10"),
  );
  const specs = [
    spec({ package: "nginx", version: "latest" }),
    spec({ package: "nginx", state: "absent" }),
    spec({ package: "nginx" }),
  ];
  const items = await plan(exec, specs, "apply");
  const held = 'package "nginx" is on hold: run apt-mark unhold nginx to let cm change it';
  assert.deepEqual(items.map((i) => i.changes.map((c) => [c.note, c.blocked])), [
    [[held, true]],
    [[held, true]],
    [],
  ]);
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: false, error: held }, { ok: false, error: held }, {
    ok: true,
  }]);
  assert.equal(exec.calls.some((c) => c[0] === "apt-get"), false);
});

Deno.test("package diff accepts a pin written without the installed version's epoch", () => {
  const current: PackageState = {
    status: "installed",
    version: "2:8.2+93",
    candidate: "2:8.2+93",
    available: ["2:8.2+93"],
  };
  assert.deepEqual(aptPackage.diff(spec({ package: "php-fpm", version: "8.2+93" }), current), []);
});

Deno.test("package diff words a removal in the cookbook's terms: present → absent, config-files → purged", () => {
  const installed: PackageState = { status: "installed", version: "1.0", candidate: "1.0" };
  assert.deepEqual(aptPackage.diff(spec({ package: "tree", state: "absent" }), installed), [
    { field: "state", before: "present", after: "absent" },
  ]);
  const leftover: PackageState = { status: "config-files", version: null, candidate: "1.0" };
  assert.deepEqual(aptPackage.diff(spec({ package: "tree", state: "purged" }), leftover), [
    { field: "state", before: "config-files", after: "purged" },
  ]);
});

Deno.test("package apply removes absent and purges purged packages in one call each", async () => {
  const exec = machine(
    "apache2\tamd64\t2.4\tii \nexim4\tamd64\t4.96\tii \nmutt\tamd64\t2.2\trc \nvim\tamd64\t9\tii \n",
  );
  const specs = [
    spec({ package: "apache2", state: "absent" }),
    spec({ package: "mutt", state: "absent" }),
    spec({ package: "exim4", state: "absent" }),
    spec({ package: "vim", state: "purged" }),
    spec({ package: "mutt", state: "purged" }),
  ];
  const items = await plan(exec, specs, "apply");
  assert.deepEqual(items[1].changes, []);
  assert.deepEqual(items[4].changes, [{ field: "state", before: "config-files", after: "purged" }]);
  await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(exec.calls.filter((c) => c[0] === "apt-get"), [
    [...APT_GET, "remove", "--", "apache2", "exim4"],
    [...APT_GET, "purge", "--", "vim", "mutt"],
  ]);
});

Deno.test("package apply failure names every package of the transaction and the stderr tail", async () => {
  const exec = machine(
    "",
    policyBlock("nginx", "(none)", "1.22.1-9") + policyBlock("php-fpm", "(none)", "2:8.2+93"),
  );
  const items = await plan(
    exec,
    [spec({ package: "nginx" }), spec({ package: "php-fpm" })],
    "apply",
  );
  exec.on(["apt-get"], {
    code: 100,
    stderr: "E: Failed to fetch http://deb.debian.org/nginx.deb  404  Not Found\n",
  });
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes[0], {
    ok: false,
    error:
      "apt-get install nginx php-fpm failed: apt-get exited 100: E: Failed to fetch http://deb.debian.org/nginx.deb  404  Not Found",
  });
  assert.equal(outcomes[1].ok, false);
});

Deno.test("package apply reports a failed removal with the package names", async () => {
  const exec = machine("apache2\tamd64\t2.4\tii \n");
  const items = await plan(exec, [spec({ package: "apache2", state: "absent" })], "apply");
  exec.on(["apt-get"], { code: 100, stderr: "E: Could not get lock /var/lib/dpkg/lock-frontend" });
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error:
      "apt-get remove apache2 failed: apt-get exited 100: E: Could not get lock /var/lib/dpkg/lock-frontend",
  }]);
});

Deno.test("package apply finishes a dpkg that was killed (its journal) before apt-get, which refuses otherwise", async () => {
  const exec = machine("nginx\tamd64\t1.22\tiU \n", policyBlock("nginx", "1.22", "1.22"))
    .put("/var/lib/dpkg/updates/0000", "Package: nginx\n");
  const items = await plan(exec, [spec({ package: "nginx" })], "apply");
  assert.deepEqual(await aptPackage.apply(items, exec, context().ctx), [{ ok: true }]);
  const dpkg = ["dpkg", "--force-confdef", "--force-confold", "--configure", "-a"];
  assert.deepEqual(exec.calls.filter((c) => c[0] === "dpkg" || c[0] === "apt-get"), [
    dpkg,
    [...APT_GET, "install", "--no-install-recommends", "--", "nginx"],
  ]);
  // When that fails, apt-get is not run and the reason is dpkg's.
  const broken = machine("nginx\tamd64\t1.22\tiU \n", policyBlock("nginx", "1.22", "1.22"))
    .put("/var/lib/dpkg/updates/0000", "Package: nginx\n")
    .on(["dpkg", "--force-confdef"], { code: 1, stderr: "dpkg: error processing package nginx" });
  const failed = await aptPackage.apply(
    await plan(broken, [spec({ package: "nginx" })], "apply"),
    broken,
    context().ctx,
  );
  assert.deepEqual(failed, [{
    ok: false,
    error:
      "dpkg was interrupted, and dpkg --configure -a failed: dpkg exited 1: dpkg: error processing package nginx",
  }]);
  assert.equal(broken.calls.some((c) => c[0] === "apt-get"), false);
});

Deno.test("package read treats half-installed packages as needing an install", async () => {
  const exec = machine("nginx\tamd64\t1.22\tiF \n", policyBlock("nginx", "1.22", "1.22"));
  const items = await plan(exec, [spec({ package: "nginx" })], "apply");
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "half-installed", after: "present" },
  ]);
});

Deno.test("apt-cache policy parsing reads candidates and version tables", () => {
  const policies = parsePolicy(
    policyBlock("bash", "5.2.15-2+b8", "5.2.15-2+b13", "5.2.15-2+b8") +
      "mail-transport-agent:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n",
  );
  assert.deepEqual(policies.get("bash"), {
    candidate: "5.2.15-2+b13",
    versions: ["5.2.15-2+b13", "5.2.15-2+b8"],
  });
  assert.deepEqual(policies.get("mail-transport-agent"), { candidate: null, versions: [] });
});

// The read path against this machine's real package database (Debian or Ubuntu).
Deno.test("package read finds bash installed in the real dpkg database", async () => {
  const states = await aptPackage.read(
    [spec({ package: "bash" }), spec({ package: "cm-surely-not-a-package", state: "absent" })],
    new RealExecutor(),
    context("plan").ctx,
  );
  assert.equal(states[0].status, "installed");
  assert.match(states[0].version ?? "", /^\d/);
  assert.deepEqual(states[1], { status: "absent", version: null });
});

Deno.test("package plan against the real apt reports an unknown package as a change", async () => {
  const specs = [spec({ package: "cm-surely-not-a-package" }), spec({ package: "bash" })];
  const states = await aptPackage.read(specs, new RealExecutor(), context("plan").ctx);
  assert.equal(states[0].status, "unknown");
  const changes: Change[] = aptPackage.diff(specs[0], states[0]);
  assert.equal(changes.length, 1);
  assert.match(changes[0].note!, /not known to apt/);
  assert.deepEqual(aptPackage.diff(specs[1], states[1]), []);
});

Deno.test("package read against the real apt knows the candidate of an installed package", async () => {
  const states = await aptPackage.read(
    [spec({ package: "bash", version: "latest" })],
    new RealExecutor(),
    context("plan").ctx,
  );
  assert.equal(states[0].status, "installed");
  assert.match(String(states[0].candidate), /^\d/);
  assert.ok(states[0].available?.includes(states[0].version!));
});

Deno.test("apt-cache policy parsing reads Ubuntu's phased versions", () => {
  const policies = parsePolicy(`bash:
  Installed: 5.2.21-2ubuntu4
  Candidate: 5.2.21-2ubuntu4
  Version table:
     5.2.21-2ubuntu5 500 (phased 20%)
        500 http://archive.ubuntu.com/ubuntu noble-updates/main amd64 Packages
 *** 5.2.21-2ubuntu4 500
        500 http://archive.ubuntu.com/ubuntu noble/main amd64 Packages
        100 /var/lib/dpkg/status
libfoo1:
  Installed: 1.2.3-1ubuntu1
  Candidate: 1.2.3-1ubuntu1
  Version table:
     1.2.3-1ubuntu2 1 (phased 0%)
        500 http://archive.ubuntu.com/ubuntu noble-updates/main amd64 Packages
 *** 1.2.3-1ubuntu1 500 (phased 20%)
        500 http://archive.ubuntu.com/ubuntu noble/main amd64 Packages
        100 /var/lib/dpkg/status
`);
  assert.deepEqual(policies.get("bash"), {
    candidate: "5.2.21-2ubuntu4",
    versions: ["5.2.21-2ubuntu5", "5.2.21-2ubuntu4"],
  });
  assert.deepEqual(policies.get("libfoo1"), {
    candidate: "1.2.3-1ubuntu1",
    versions: ["1.2.3-1ubuntu2", "1.2.3-1ubuntu1"],
  });
});

const SHOWPKG = ["apt-cache", "showpkg"];
const NO_CANDIDATE = (name: string) =>
  `${name}:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n`;
/** `apt-cache showpkg awk mail-transport-agent libc-dev` as bookworm prints it (trimmed). */
const SHOWPKG_OUT = `Package: awk
Versions: 

Reverse Depends: 
  base-files,awk
Dependencies: 
Provides: 
Reverse Provides: 
original-awk 2022-09-12-1 (= )
mawk 1.3.4.20200120-3.1 (= )
gawk 1:5.2.1-2 (= )
Package: mail-transport-agent
Versions: 

Reverse Depends: 
  logcheck,mail-transport-agent
Dependencies: 
Provides: 
Reverse Provides: 
postfix 3.7.11-0+deb12u1 (= )
exim4-daemon-light 4.96-15+deb12u10 (= )
Package: libc-dev
Versions: 

Reverse Depends: 
  libc6-dev,libc-dev
Dependencies: 
Provides: 
Reverse Provides: 
libc6-dev 2.36-9+deb12u7 (= 2.36-9+deb12u7)
libc6-dev 2.36-9+deb12u14 (= 2.36-9+deb12u14)
`;

Deno.test("apt-cache showpkg parsing reads every package's reverse provides", () => {
  const provides = parseReverseProvides(SHOWPKG_OUT);
  assert.deepEqual(provides.get("awk"), [
    { name: "original-awk", version: "2022-09-12-1" },
    { name: "mawk", version: "1.3.4.20200120-3.1" },
    { name: "gawk", version: "1:5.2.1-2" },
  ]);
  assert.deepEqual(provides.get("mail-transport-agent")?.map((p) => p.name), [
    "postfix",
    "exim4-daemon-light",
  ]);
  assert.deepEqual(provides.get("libc-dev"), [
    { name: "libc6-dev", version: "2.36-9+deb12u7" },
    { name: "libc6-dev", version: "2.36-9+deb12u14" },
  ]);
  assert.equal(parseReverseProvides("").size, 0);
});

Deno.test("package read takes a virtual package as present when an installed package provides it", async () => {
  const exec = machine("awk\t\t\tun \nbash\tamd64\t5.2\tii \n", NO_CANDIDATE("awk"))
    .on(SHOWPKG, { stdout: SHOWPKG_OUT })
    .on([...QUERY, "gawk"], {
      code: 1,
      stdout: "mawk\tamd64\t1.3.4.20200120-3.1\tii \n",
      stderr: "dpkg-query: no packages found matching gawk\n",
    });
  const specs = [spec({ package: "awk" }), spec({ package: "bash" })];
  const items = await plan(exec, specs, "apply");
  assert.deepEqual(exec.calls, [
    [...QUERY, "awk", "bash"],
    ["apt-cache", "policy", "--", "awk"],
    ["apt-cache", "showpkg", "--", "awk"],
    [...QUERY, "gawk", "mawk", "original-awk"],
  ]);
  assert.deepEqual(items.map((i) => i.changes), [[], []]);
  // version: latest of a virtual package: its provider's upgrades are the provider's business.
  const latest = await plan(exec, [spec({ package: "awk", version: "latest" })], "apply");
  assert.deepEqual(latest[0].changes, []);
});

Deno.test("package fails a virtual package that no installed package provides, naming the providers", async () => {
  const exec = machine(
    "",
    NO_CANDIDATE("awk") + policyBlock("nginx", "(none)", "1.22.1-9") +
      NO_CANDIDATE("mail-transport-agent"),
  )
    .on(SHOWPKG, { stdout: SHOWPKG_OUT })
    .on([...QUERY, "exim4-daemon-light"], { code: 1, stderr: "dpkg-query: no packages found" });
  const specs = [
    spec({ package: "awk" }),
    spec({ package: "nginx" }),
    spec({ package: "mail-transport-agent" }),
  ];
  const items = await plan(exec, specs, "apply");
  // One showpkg for every name without a candidate, one dpkg-query for all their providers.
  assert.deepEqual(exec.calls.slice(1), [
    ["apt-cache", "policy", "--", "awk", "nginx", "mail-transport-agent"],
    ["apt-cache", "showpkg", "--", "awk", "mail-transport-agent"],
    [...QUERY, "exim4-daemon-light", "gawk", "mawk", "original-awk", "postfix"],
  ]);
  const awk = '"awk" is a virtual package: name one of gawk, mawk, original-awk';
  const mta =
    '"mail-transport-agent" is a virtual package: name one of exim4-daemon-light, postfix';
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "absent", after: "present", note: awk, blocked: true },
  ]);
  assert.deepEqual(items[2].changes, [
    { field: "state", before: "absent", after: "present", note: mta, blocked: true },
  ]);
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [
    { ok: false, error: `${awk}` },
    { ok: true },
    { ok: false, error: `${mta}` },
  ]);
  // No apt-get update: fresher lists would not make apt choose.
  assert.deepEqual(exec.calls.filter((c) => c[0] === "apt-get"), [
    [...APT_GET, "install", "--no-install-recommends", "--", "nginx"],
  ]);
});

Deno.test("package installs a virtual package with a single provider by its name", async () => {
  const exec = machine("", NO_CANDIDATE("libc-dev")).on(SHOWPKG, { stdout: SHOWPKG_OUT });
  const items = await plan(exec, [spec({ package: "libc-dev" })], "apply");
  assert.deepEqual(exec.calls.at(-1), [...QUERY, "libc6-dev"]);
  assert.deepEqual(items[0].changes, [{
    field: "state",
    before: "absent",
    after: "present",
    note: "virtual package: apt-get installs libc6-dev",
  }]);
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls.at(-1), [
    ...APT_GET,
    "install",
    "--no-install-recommends",
    "--",
    "libc-dev",
  ]);
});

Deno.test("package fails a version pinned on a virtual package", async () => {
  const exec = machine("", NO_CANDIDATE("awk"))
    .on(SHOWPKG, { stdout: SHOWPKG_OUT })
    .on([...QUERY, "gawk"], { code: 1, stdout: "mawk\tamd64\t1.3.4.20200120-3.1\tii \n" });
  const items = await plan(exec, [spec({ package: "awk", version: "1.3.4" })], "apply");
  const note = '"awk" is a virtual package: name one of gawk, mawk, original-awk';
  assert.deepEqual(items[0].changes, [
    { field: "version", before: null, after: "1.3.4", note, blocked: true },
  ]);
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: false, error: `${note}` }]);
  assert.equal(exec.calls.some((c) => c[0] === "apt-get"), false);
});

Deno.test("package apply names the providers of a package that turns out virtual after apt-get update", async () => {
  const exec = machine("");
  const items = await plan(exec, [spec({ package: "awk" })], "apply");
  assert.match(items[0].changes[0].note!, /not known to apt/);
  exec.on([...APT_GET, "update"], () => {
    exec.on(["apt-cache", "policy"], { stdout: NO_CANDIDATE("awk") })
      .on(SHOWPKG, { stdout: SHOWPKG_OUT });
    return {};
  });
  const outcomes = await aptPackage.apply(items, exec, context().ctx);
  // After the plan's dpkg-query, apt-cache policy (of the names, of the package files), pkgnames.
  assert.deepEqual(exec.calls.slice(4), [
    [...APT_GET, "update"],
    ["apt-cache", "policy", "--", "awk"],
    ["apt-cache", "showpkg", "--", "awk"],
  ]);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: '"awk" is a virtual package: name one of gawk, mawk, original-awk',
  }]);
});

// This machine is Debian with mawk installed, which provides awk.
Deno.test("package read against the real apt finds awk provided by mawk", async () => {
  const specs = [spec({ package: "awk" }), spec({ package: "awk", version: "latest" })];
  const states = await aptPackage.read(specs, new RealExecutor(), context("plan").ctx);
  assert.equal(states[0].status, "installed");
  assert.equal(states[0].providedBy, "mawk");
  assert.ok(states[0].providers?.includes("gawk"));
  assert.deepEqual(aptPackage.diff(specs[0], states[0]), []);
  assert.deepEqual(aptPackage.diff(specs[1], states[1]), []);
});

Deno.test("package restore puts the recorded version back, removes a new one, names a lost one", async () => {
  const store = { capture: () => Promise.reject(new Error("no paths")), content: () => null };
  const before = { type: "package" as const, name: "nginx", version: "1.22.1-9" };
  const offered = machine("", policyBlock("nginx", "1.24.0-1", "1.24.0-1", "1.22.1-9"));
  assert.deepEqual(await aptPackage.restore!(before, offered, store, context().ctx), { ok: true });
  assert.deepEqual(offered.calls.at(-1), [
    ...APT_GET,
    "--allow-downgrades",
    "install",
    "--",
    "nginx=1.22.1-9",
  ]);
  const gone = machine("", policyBlock("nginx", "1.24.0-1", "1.24.0-1"));
  const outcome = await aptPackage.restore!(before, gone, store, context().ctx);
  assert.deepEqual(outcome, {
    ok: false,
    error:
      'cannot put package "nginx" back to version "1.22.1-9": apt no longer offers it (available: 1.24.0-1)',
  });
  assert.ok(!gone.calls.some((c) => c.includes("install")));
  const fresh = machine("");
  const absent = { ...before, version: null };
  assert.deepEqual(await aptPackage.restore!(absent, fresh, store, context().ctx), { ok: true });
  assert.deepEqual(fresh.calls.at(-1), [...APT_GET, "remove", "--", "nginx"]);
});

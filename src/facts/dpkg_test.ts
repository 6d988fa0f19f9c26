import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { RealExecutor } from "../exec/real.ts";
import {
  compareVersions,
  DPKG_JOURNAL,
  DPKG_STATUS,
  type DpkgEntry,
  dpkgQueryArgv,
  findEntry,
  installedProviders,
  parseDpkgQuery,
  parseDpkgStatus,
  queryDpkg,
  statusOf,
} from "./dpkg.ts";
import { fixtures } from "./_fixtures.ts";

/** [a, b, sign of a compared with b] */
const TABLE: [string, string, -1 | 0 | 1][] = [
  // revisions: none equals "0"; an absent revision sorts first
  ["1.0", "1.0", 0],
  ["1.0", "1.0-0", 0],
  ["1.0", "1.0-1", -1],
  ["1.0-1", "1.0-2", -1],
  ["1.0-9", "1.0-10", -1],
  ["1.0-1", "1.0-1.1", -1],
  ["1.0-1+b1", "1.0-1", 1],
  ["5.2.15-2+b8", "5.2.15-2+b13", -1],
  ["1.2-3-4", "1.2-3-5", -1],
  ["1.2-3-4", "1.2-3", 1],
  // epochs win over everything else
  ["1:0.1", "2.0", 1],
  ["0:2.0", "2.0", 0],
  ["1:1.0", "2:0.1", -1],
  ["10:1", "9:2", 1],
  ["2:8.2+93", "8.2+93", 1],
  ["2:8.2+93", "2:8.2+93+deb12u1", -1],
  ["1:5.2.1-2", "1:5.2.1-2", 0],
  // digits compare as numbers, leading zeros ignored
  ["1.10", "1.9", 1],
  ["1.010", "1.10", 0],
  ["1.002", "1.1", 1],
  ["2022-09-12-1", "2022-09-12-2", -1],
  ["1.25.0-1", "1.22.1-9", 1],
  ["1.3.4.20200120-3.1", "1.3.4.20200120-3", 1],
  // ~ sorts before anything, even the end of the string
  ["1.0~rc1", "1.0", -1],
  ["1.0~rc1", "1.0~rc2", -1],
  ["1.0~~", "1.0~", -1],
  ["1.0~~a", "1.0~", -1],
  ["1.0~", "1.0", -1],
  ["1.0~rc1-1", "1.0-1", -1],
  ["1.0-1~bpo12+1", "1.0-1", -1],
  ["2.36-9+deb12u4", "2.36-9+deb12u10", -1],
  // letters sort before non-letters; the end sorts before both
  ["1.0a", "1.0+", -1],
  ["1.0a", "1.0.", -1],
  ["1.0a", "1.0", 1],
  ["1.0+", "1.0", 1],
  ["1.0a", "1.0b", -1],
  ["1.0A", "1.0a", -1],
  ["1.0+dfsg", "1.0-1", 1],
  ["1.0.1", "1.0a", 1],
  ["1.2.3-1ubuntu1", "1.2.3-1ubuntu1.1", -1],
  ["1.2.3-1ubuntu1", "1.2.3-1build1", 1],
  ["7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1],
];

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

Deno.test("compareVersions orders Debian versions like dpkg", () => {
  for (const [a, b, want] of TABLE) {
    assert.equal(sign(compareVersions(a, b)), want, `${a} vs ${b}`);
    assert.equal(sign(compareVersions(b, a)), sign(-want), `${b} vs ${a}`);
  }
});

/** What the real `dpkg --compare-versions` says: -1, 0 or 1. */
async function dpkgCompare(a: string, b: string): Promise<-1 | 0 | 1> {
  const holds = async (op: string) =>
    (await new Deno.Command("dpkg", { args: ["--compare-versions", a, op, b] }).output())
      .code === 0;
  if (await holds("lt")) return -1;
  return await holds("eq") ? 0 : 1;
}

Deno.test("compareVersions agrees with this machine's dpkg --compare-versions", async () => {
  for (const [a, b] of TABLE) {
    assert.equal(sign(compareVersions(a, b)), await dpkgCompare(a, b), `${a} vs ${b}`);
  }
});

Deno.test("parseDpkgQuery reads captured dpkg-query output", () => {
  for (const f of fixtures("dpkg_query")) {
    assert.deepEqual(parseDpkgQuery(f.text), f.expected, f.name);
  }
});

Deno.test("queryDpkg takes exit 1 (a name matched nothing) as an answer and throws on others", async () => {
  const probe = new RecordingExecutor().on(["dpkg-query"], {
    code: 1,
    stdout: "bash\tamd64\t5.2.15-2+b8\tii \n",
    stderr: "dpkg-query: no packages found matching nosuch\n",
  });
  assert.deepEqual(await queryDpkg(probe, ["bash", "nosuch"]), [
    { name: "bash", arch: "amd64", version: "5.2.15-2+b8", abbrev: "ii " },
  ]);
  probe.on(["dpkg-query"], { code: 2, stderr: "dpkg-query: error: database locked\n" });
  await assert.rejects(queryDpkg(probe, ["bash"]), {
    message: "dpkg-query exited 2: dpkg-query: error: database locked",
  });
});

Deno.test("findEntry prefers the installed architecture and honours an explicit one", () => {
  const entries = parseDpkgQuery("libc6\ti386\t2.36-9\trc \nlibc6\tamd64\t2.36-9\tii \n");
  assert.equal(findEntry(entries, "libc6")?.arch, "amd64");
  assert.equal(findEntry(entries, "libc6:i386")?.abbrev, "rc ");
  assert.equal(statusOf("rc "), "config-files");
  assert.equal(findEntry(entries, "nosuch"), undefined);
});

/** Every package name of a status file. */
function packagesOf(status: string): string[] {
  return [...new Set([...status.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]))];
}

Deno.test("parseDpkgStatus reads captured status files", () => {
  for (const f of fixtures("dpkg_status")) {
    assert.deepEqual(
      parseDpkgStatus(f.text, [...packagesOf(f.text), "nosuch"]),
      f.expected,
      f.name,
    );
  }
});

/** What `dpkg-query --admindir=DIR` says of `specs` for a status file, "un " entries left out. */
async function dpkgQueryOn(status: string, specs: string[]): Promise<DpkgEntry[]> {
  const admindir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${admindir}/updates`);
    await Deno.writeTextFile(`${admindir}/status`, status);
    const [command, ...args] = dpkgQueryArgv(specs);
    const out = await new Deno.Command(command, {
      args: [`--admindir=${admindir}`, ...args],
      stdout: "piped",
      stderr: "null",
    }).output();
    // "un ": dpkg-query knows the name only from relations or as gone; cm leaves those out.
    return parseDpkgQuery(new TextDecoder().decode(out.stdout)).filter((e) => e.abbrev !== "un ");
  } finally {
    await Deno.remove(admindir, { recursive: true });
  }
}

// dpkg_status_edge.txt is written by hand (held, config-files, half-installed, reinstreq,
// triggers, two architectures, a Status line in a description): dpkg-query checks it here.
Deno.test("parseDpkgStatus agrees with dpkg-query on names, architectures and patterns", async () => {
  const queries = [
    ["php*", "libc6:i386", "send*", "tzdata:amd64", "tzdata:all", "*:i3?6"],
    ["[lm]*", "*-[!b]*", "nginx", "postfix:*", "php?.?-fpm", "nosuch*", "nosuch"],
  ];
  for (const f of fixtures("dpkg_status")) {
    for (const specs of [packagesOf(f.text), ...queries]) {
      assert.deepEqual(
        parseDpkgStatus(f.text, specs),
        await dpkgQueryOn(f.text, specs),
        `${f.name}: ${specs.join(" ")}`,
      );
    }
  }
});

Deno.test("queryDpkg reads this machine's status file like dpkg-query, spawning nothing", async () => {
  const real = new RealExecutor();
  const listed = await real.run(["dpkg-query", "-W", "-f", "${Package}\\n"]);
  const names = [...new Set(listed.stdout.split("\n").filter(Boolean))];
  assert.ok(names.length > 50, `only ${names.length} packages installed`);
  const spawned: string[][] = [];
  const probe = Object.assign(Object.create(real), {
    run: (argv: string[]) => (spawned.push(argv), real.run(argv)),
  });
  const fromFile = await queryDpkg(probe, names);
  assert.deepEqual(spawned, []);
  assert.deepEqual(fromFile, parseDpkgQuery((await real.run(dpkgQueryArgv(names))).stdout));
});

Deno.test("queryDpkg asks dpkg-query when the status file is missing or dpkg's journal is not merged", async () => {
  const status = fixtures("dpkg_status_host")[0].text;
  const answer = { stdout: "bash\tamd64\t5.2.15-2+b9\tii \n" };
  const fromFile = new RecordingExecutor().put(DPKG_STATUS, status).on(["dpkg-query"], answer);
  assert.equal(findEntry(await queryDpkg(fromFile, ["bash"]), "bash")?.version, "5.2.15-2+b8");
  assert.deepEqual(fromFile.calls, []);
  const journal = new RecordingExecutor().put(DPKG_STATUS, status)
    .put("/var/lib/dpkg/updates/0000", "Package: bash\n").on(["dpkg-query"], answer);
  const missing = new RecordingExecutor().on(["dpkg-query"], answer);
  for (const probe of [journal, missing]) {
    assert.equal(findEntry(await queryDpkg(probe, ["bash"]), "bash")?.version, "5.2.15-2+b9");
    assert.deepEqual(probe.calls, [dpkgQueryArgv(["bash"])]);
  }
});

Deno.test("installedProviders names installed packages that are or provide a name", () => {
  const status = [
    "Package: cron\nStatus: install ok installed\nVersion: 3.0pl1-162\nProvides: cron-daemon",
    "Package: bcron\nStatus: deinstall ok config-files\nProvides: cron-daemon",
    "Package: systemd-cron\nStatus: install ok installed\nProvides: anacron (= 2.3), cron-daemon:any",
    "Package: e2fsprogs\nStatus: install ok installed",
  ].join("\n\n") + "\n";
  const probe = new RecordingExecutor().put(DPKG_STATUS, status);
  assert.deepEqual(installedProviders(probe, "cron-daemon"), ["cron", "systemd-cron"]);
  assert.deepEqual(installedProviders(probe, "cron"), ["cron"]);
  assert.deepEqual(installedProviders(probe, "anacron"), ["systemd-cron"]);
  assert.deepEqual(installedProviders(probe, "bcron"), []);
  // No status file, or a journal not merged into it yet: nothing can be said.
  assert.equal(installedProviders(new RecordingExecutor(), "cron-daemon"), null);
  assert.equal(installedProviders(probe.put(DPKG_JOURNAL, "x"), "cron-daemon"), null);
});

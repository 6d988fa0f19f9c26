/**
 * The README's contributor set-up, proved on a fresh server: from a checkout on
 * a fresh Debian machine (no node, no npm, no deno), as root,
 *
 *     ./bootstrap.sh --dev
 *
 * installs what is needed (apt's git, curl, npm…, then Deno 2.9 from the npm
 * registry), builds dist/cm and plans hello-web with it. The server is stripped first to what a
 * minimal cloud image has: no git, curl, ca-certificates, node, npm, deno or
 * sudo, and empty apt lists. Then a second `./bootstrap.sh --dev` installs
 * nothing and is quick.
 *
 * Needs the npm registry and the Debian mirror (the server shares the host's
 * network; on a network that intercepts TLS, the host's local CAs are given
 * to the server, see trustHostCAs). The first run takes 20 s on a fast
 * mirror, minutes on a slow one (npm fetches a ~40 MB deno); each step's wall
 * time is printed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server } from "./testbed/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
/** Where the checkout is copied in the server. */
const CHECKOUT = "/root/cm";
const DENO_VERSION = "2.9.6";
/**
 * The README's contributor set-up as root (a fresh Debian minbase has no
 * sudo): it ends with the main job on the bundled example, a plan by dist/cm.
 */
const README_COMMAND = "./bootstrap.sh --dev";
/** Upper bounds (seconds, enforced with timeout(1) in the server) so a hung download fails the test. */
const FIRST_RUN_LIMIT = 1200;
const SECOND_RUN_LIMIT = 300;

/** The tracked files and symlinks of the checkout (`git ls-files`) present in the working tree. */
async function trackedFiles(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["-C", ROOT, "ls-files", "-z"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `git ls-files: ${new TextDecoder().decode(out.stderr)}`);
  const names = new TextDecoder().decode(out.stdout).split("\0").filter((n) => n !== "");
  const present = [];
  for (const name of names) {
    try {
      const st = await Deno.lstat(`${ROOT}${name}`);
      if (st.isFile || st.isSymlink) present.push(name);
    } catch { /* deleted in the working tree: not part of a checkout's files today */ }
  }
  return present;
}

/** Copies the checkout's tracked files (modes kept, owned by root) to `dest` in the server. */
async function copyCheckout(srv: Server, dest: string): Promise<number> {
  const files = await trackedFiles();
  const tar = new Deno.Command("tar", {
    args: ["-C", ROOT, "--owner=0", "--group=0", "--null", "--no-recursion", "-T", "-", "-cf", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = tar.stdin.getWriter();
  await writer.write(new TextEncoder().encode(files.join("\0") + "\0"));
  await writer.close();
  const packed = await tar.output();
  assert.ok(packed.success, `tar: ${new TextDecoder().decode(packed.stderr)}`);
  await srv.exec(["sh", "-c", 'mkdir -p "$1" && tar -C "$1" --no-same-owner -xf -', "sh", dest], {
    stdin: packed.stdout,
    check: true,
  });
  return files.length;
}

/** What the test bed's image has beyond a minimal Debian, and bootstrap.sh installs itself. */
const IMAGE_EXTRAS = ["git", "curl", "ca-certificates"];

/**
 * Makes the server as bare as a minimal cloud image: without the test bed's
 * {@linkcode IMAGE_EXTRAS} (so bootstrap.sh's own install of them runs) and
 * with empty apt lists (so its `apt-get update` runs too).
 */
async function stripToMinimal(srv: Server): Promise<void> {
  await srv.exec(["apt-get", "purge", "-y", "-qq", ...IMAGE_EXTRAS], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
    check: true,
  });
  await srv.exec(["sh", "-c", "rm -rf /var/lib/apt/lists/*"], { check: true });
  for (const tool of ["deno", "node", "npm", "sudo", ...IMAGE_EXTRAS.slice(0, 2)]) {
    const r = await srv.exec(["sh", "-c", `command -v ${tool}`]);
    assert.notEqual(r.code, 0, `the fresh server still has ${tool}: ${r.stdout}`);
  }
}

/** Where Debian keeps locally added CA certificates (update-ca-certificates reads them). */
const LOCAL_CAS = "/usr/local/share/ca-certificates";

/**
 * Gives the server the host's trust in locally added CAs, and returns the
 * environment that makes deno use them.
 *
 * The server shares the host's network. Where that network intercepts TLS (a
 * corporate or sandbox egress proxy, as on the machines this suite runs on),
 * the host trusts the proxy's CA from {@linkcode LOCAL_CAS}, and a fresh
 * server must too, or no download from the npm registry can work, whatever
 * bootstrap.sh does: npm fails with SELF_SIGNED_CERT_IN_CHAIN. Debian's node
 * (so npm) uses the system store; deno only its bundled roots unless told
 * (`deno install` fails with "invalid peer certificate: UnknownIssuer").
 * On a host without local CAs this adds nothing and the run is exactly a
 * fresh machine's.
 */
async function trustHostCAs(srv: Server): Promise<Record<string, string>> {
  const cas: string[] = [];
  try {
    for await (const e of Deno.readDir(LOCAL_CAS)) {
      if (e.isFile && e.name.endsWith(".crt")) cas.push(e.name);
    }
  } catch { /* no local CAs */ }
  if (cas.length === 0) return {};
  // Read into the system store when bootstrap.sh installs ca-certificates.
  for (const name of cas.sort()) await srv.copyIn(`${LOCAL_CAS}/${name}`, `${LOCAL_CAS}/${name}`);
  return { DENO_TLS_CA_STORE: "mozilla,system" };
}

/** Colour escapes (deno task colours its `Task` line). */
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

/** A stderr line with the server's clock (seconds) when it was written. */
interface Stamped {
  at: number;
  line: string;
}

interface Run {
  code: number;
  stdout: string;
  /** stderr without the time stamps. */
  stderr: string;
  lines: Stamped[];
  started: number;
  ended: number;
  seconds: number;
}

/**
 * Runs `command` with bash in `cwd` inside the server, as root from a login's
 * environment, killed after `limit` seconds. Each stderr line is stamped with
 * the server's clock as it is written (outside the command itself), so the
 * steps that bootstrap.sh logs can be timed.
 */
async function timedShell(
  srv: Server,
  cwd: string,
  command: string,
  limit: number,
  env: Record<string, string>,
): Promise<Run> {
  // Stamp the wrapper's own start and end too. The `wait` makes sure the stamping
  // reader has drained stderr before the end stamp.
  const wrapper = `printf '%s START\\n' "$EPOCHREALTIME" >&2
cd ${cwd} || exit 99
timeout --kill-after=10 ${limit} bash -c "$1" 2> >(while IFS= read -r l; do printf '%s %s\\n' "$EPOCHREALTIME" "$l"; done >&2)
code=$?
wait $!
printf '%s END %s\\n' "$EPOCHREALTIME" "$code" >&2
exit "$code"`;
  const t0 = performance.now();
  const r = await srv.exec(["bash", "-c", wrapper, "bash", command], { env });
  const seconds = (performance.now() - t0) / 1000;
  const lines = r.stderr.replace(ANSI, "").split("\n").filter((l) => l !== "").map((l) => {
    const m = /^(\d+\.\d+) (.*)$/.exec(l);
    return m ? { at: Number(m[1]), line: m[2] } : { at: NaN, line: l };
  });
  const start = lines.find((l) => l.line === "START");
  const end = lines.find((l) => l.line.startsWith("END "));
  const inner = lines.filter((l) => l !== start && l !== end);
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: inner.map((l) => l.line).join("\n"),
    lines: inner,
    started: start?.at ?? NaN,
    ended: end?.at ?? NaN,
    seconds,
  };
}

/**
 * The steps of a run, timed from one logged line to the next: each step is
 * named by the line that starts it (bootstrap.sh logs before it acts; deno
 * task prints `Task cm …` before cm runs).
 */
function steps(run: Run): { step: string; seconds: number }[] {
  const marks = run.lines.filter((l) => /^bootstrap: |^Task /.test(l.line));
  const out = [];
  let from = run.started;
  let name = "(start)";
  for (const mark of marks) {
    out.push({ step: name, seconds: mark.at - from });
    from = mark.at;
    name = mark.line.slice(0, 90);
  }
  out.push({ step: name, seconds: run.ended - from });
  return out.filter((s) => s.step !== "(start)" || s.seconds >= 0.05);
}

function table(title: string, run: Run): string {
  const rows = steps(run).map((s) => `  ${s.seconds.toFixed(1).padStart(7)} s  ${s.step}`);
  return `${title}: ${run.seconds.toFixed(1)} s wall (seen from the host), exit ${run.code}\n${
    rows.join("\n")
  }`;
}

/**
 * What a reinstall would change: dpkg's log (every package action appends to
 * it) and the deno binary's inode and modification time.
 */
async function installMarks(srv: Server): Promise<{ dpkgLog: string; deno: string }> {
  const dpkgLog = await srv.exec(["sh", "-c", "wc -l < /var/log/dpkg.log"], { check: true });
  const deno = await srv.exec(
    ["sh", "-c", 'stat -c "%n %i %Y" "$(readlink -f "$(command -v deno)")"'],
    { check: true },
  );
  return { dpkgLog: dpkgLog.stdout.trim(), deno: deno.stdout.trim() };
}

function context(run: Run): string {
  return `exit ${run.code}\nstderr:\n${run.stderr.slice(-6000)}\nstdout:\n${
    run.stdout.slice(-4000)
  }`;
}

Deno.test("the README's first command sets up a fresh Debian server and plans hello-web; a second bootstrap installs nothing", async () => {
  const report: string[] = [];
  try {
    const boot0 = performance.now();
    await using srv = await bootServer();
    await stripToMinimal(srv);
    const env = await trustHostCAs(srv);
    const copied = await copyCheckout(srv, CHECKOUT);
    if (env.DENO_TLS_CA_STORE) {
      report.push(
        `the host's CAs in ${LOCAL_CAS} trusted in the server (TLS-intercepting network)`,
      );
    }
    report.push(
      `boot + strip + copy of ${copied} tracked files: ${
        ((performance.now() - boot0) / 1000).toFixed(1)
      } s`,
    );

    // 1. The README's command, on the fresh server.
    const first = await timedShell(srv, CHECKOUT, README_COMMAND, FIRST_RUN_LIMIT, env);
    report.push(table(`1. ${README_COMMAND}`, first));
    assert.equal(first.code, 0, context(first));
    for (
      const id of [
        "package[nginx]",
        "package[php-fpm]",
        "file[/etc/nginx/nginx.conf]",
        "service[php8.2-fpm]",
        "service[nginx]",
      ]
    ) {
      assert.match(
        first.stdout,
        new RegExp(`^would +${id.replace(/[[\]/.]/g, "\\$&")}: `, "m"),
        `${id} is not in the plan\n${context(first)}`,
      );
    }
    assert.match(first.stdout, /^plan: 7 to change, 0 unchanged, 0 failed, 0 skipped/m);
    assert.match(first.stderr, /^bootstrap: apt-get update$/m);
    assert.match(first.stderr, /^bootstrap: apt-get install git curl ca-certificates /m);
    assert.match(first.stderr, /^bootstrap: npm install -g deno@2\.9\.6$/m);
    assert.match(first.stderr, /^bootstrap: development machine ready: deno 2\.9\.6 /m);
    assert.match(
      first.stderr,
      /^built \/root\/cm\/dist\/cm: (self-extracting executable|deno compile binary)$/m,
    );
    // plan only looked.
    assert.notEqual((await srv.exec(["dpkg", "-s", "nginx"])).code, 0, "the plan installed nginx");

    const version = await srv.exec(["deno", "--version"], { env, check: true });
    assert.match(version.stdout, new RegExp(`^deno ${DENO_VERSION.replaceAll(".", "\\.")} `));
    const where = await srv.exec(["sh", "-c", "command -v deno"], { check: true });
    report.push(`deno in the server: ${where.stdout.trim()}: ${version.stdout.split("\n")[0]}`);
    const before = await installMarks(srv);

    // 2. Again: everything is there, so nothing is installed.
    const second = await timedShell(srv, CHECKOUT, "./bootstrap.sh --dev", SECOND_RUN_LIMIT, env);
    report.push(table("2. ./bootstrap.sh --dev (again)", second));
    assert.equal(second.code, 0, context(second));
    assert.doesNotMatch(second.stderr, /apt-get|npm install|^built /m, context(second));
    assert.match(
      second.stderr,
      /^\/root\/cm\/dist\/cm: (self-extracting executable|deno compile binary), current$/m,
    );
    assert.match(second.stdout, /^plan: 7 to change/m, "dist/cm, current, planned again");
    assert.match(second.stderr, /^bootstrap: development machine ready: deno 2\.9\.6 /m);
    assert.deepEqual(await installMarks(srv), before, "the second bootstrap reinstalled something");
    assert.ok(
      second.seconds < 20,
      `a second bootstrap took ${second.seconds.toFixed(1)} s\n${context(second)}`,
    );

    // 3. The plan again, warm: what the first command's last step costs once set up.
    const plan = await timedShell(
      srv,
      CHECKOUT,
      "deno task cm plan cookbooks/hello-web.yaml",
      SECOND_RUN_LIMIT,
      env,
    );
    report.push(table("3. deno task cm plan cookbooks/hello-web.yaml (again)", plan));
    assert.equal(plan.code, 0, context(plan));
    assert.match(plan.stdout, /^plan: 7 to change/m);
  } finally {
    console.log(`\nbootstrap --dev on a fresh server:\n${report.join("\n")}\n`);
  }
});

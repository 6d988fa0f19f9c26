/**
 * Hostile input, run through cm as a process under the shipped permission
 * flags (tests/harness.ts): every case must end in a clean, located error
 * (exit 2 for `cm validate`, 4 for a refused `cm sync` commit), never exit 70,
 * never a hang (each run is killed after {@link TIMEOUT_MS}), never a control
 * character or a planted secret on the terminal.
 *
 * The static cases are the files of tests/testdata/hostile/, each opening
 * with `# expect: REGEX` (matched against stderr); the ones that cannot be
 * committed (FIFOs, /dev/zero, huge files, stdin) are made here. The last
 * test prints the figures the README's "Reliability" section quotes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cmCommand } from "../scripts/cm_command.ts";
import { tempDir, TEST_ENV } from "./harness.ts";
import { Remote, sh } from "./sync_git.ts";

const DIR = new URL("./testdata/hostile", import.meta.url).pathname;
const TIMEOUT_MS = 30_000;
/** Planted in sensitive values; must appear in no output and no file cm writes. */
const SECRET = "hunter2-planted";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** One hostile input tried: whether cm refused it cleanly. */
const tried: { name: string; code: number; clean: boolean }[] = [];
/** Every output and artefact scanned for {@link SECRET}. */
let secretsFound = 0;

/** Runs cm with stdin an open pipe (so reading it would hang); kills it after the timeout. */
async function cm(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const [bin, ...rest] = cmCommand(args);
  const started = performance.now();
  const child = new Deno.Command(bin, {
    args: rest,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...TEST_ENV, ...env },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  try {
    const { code, signal, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    return {
      code: signal === "SIGKILL" ? -1 : code,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Counts the planted secret in `text`. */
function scan(text: string): number {
  const n = text.split(SECRET).length - 1;
  secretsFound += n;
  return n;
}

// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

/**
 * Records and checks one refusal: the exit code, a line matching `expect`
 * (and, unless `located` is false, one naming the file: `file:line:col:`, or
 * `file:` for the file as a whole), no trace, no control character, no secret.
 */
function refused(name: string, ran: Ran, expect: RegExp, code = 2, located = true): void {
  const output = ran.stdout + ran.stderr;
  const clean = ran.code === code && expect.test(ran.stderr) &&
    (!located || /^(\S+:\d+:\d+|\S*\/\S*?): /m.test(ran.stderr)) &&
    !/internal error|\n\s+at /.test(output) &&
    !RAW_CONTROL.test(output) && scan(output) === 0;
  tried.push({ name, code: ran.code, clean });
  assert.ok(clean, `${name}: exit ${ran.code} in ${Math.round(ran.ms)} ms\n${ran.stderr}`);
}

const CASES = [...Deno.readDirSync(DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".yaml"))
  .map((e) => e.name)
  .sort();

Deno.test("the hostile corpus holds its cases, each with an expectation", () => {
  assert.ok(CASES.length >= 24, `only ${CASES.length} cases`);
  for (const name of CASES) {
    const first = Deno.readTextFileSync(`${DIR}/${name}`).split("\n")[0];
    assert.match(first, /^# expect: \S/, name);
  }
});

for (const name of CASES) {
  Deno.test(`hostile cookbook ${name} is refused at file:line:col`, async () => {
    const first = Deno.readTextFileSync(`${DIR}/${name}`).split("\n")[0];
    const expect = new RegExp(first.slice("# expect: ".length), "m");
    refused(name, await cm(["validate", `${DIR}/${name}`]), expect);
  });
}

/** A temp dir (outside any git repository: the boundary is the cookbook's own folder). */
async function scratch() {
  const dir = await tempDir("cm-hostile-");
  return {
    path: dir.path,
    write: (name: string, text: string) => Deno.writeTextFileSync(`${dir.path}/${name}`, text),
    fifo: (name: string) => sh(["mkfifo", `${dir.path}/${name}`]),
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

Deno.test("endless and special files are refused before they are read", async () => {
  await using s = await scratch();
  const notRegular = /is not a regular file \(a device, FIFO or socket\)/;
  await s.fifo("fifo.yaml");
  refused("cookbook FIFO", await cm(["validate", `${s.path}/fifo.yaml`]), notRegular);
  refused("cookbook /dev/zero", await cm(["validate", "/dev/zero"]), notRegular);
  refused(
    "cookbook stdin",
    await cm(["validate", "/proc/self/fd/0"]),
    /cannot read "\/proc\/self\/fd\/0": outside the paths cm may read/,
  );
  refused("cookbook directory", await cm(["validate", s.path]), /is a directory, expected a file/);

  s.write("include_fifo.yaml", "name: x\ninclude:\n  - fifo.yaml\n");
  refused("include FIFO", await cm(["validate", `${s.path}/include_fifo.yaml`]), notRegular);

  await s.fifo("page.tmpl");
  s.write(
    "template_fifo.yaml",
    `name: x\nconfigure:\n  files:\n    - path: ${s.path}/out\n      template: page.tmpl\n`,
  );
  refused("template FIFO", await cm(["validate", `${s.path}/template_fifo.yaml`]), notRegular);

  await s.fifo("blob.bin");
  s.write(
    "source_fifo.yaml",
    `name: x\nconfigure:\n  files:\n    - path: ${s.path}/out\n      source: blob.bin\n`,
  );
  refused("source FIFO", await cm(["validate", `${s.path}/source_fifo.yaml`]), notRegular);

  Deno.symlinkSync("/dev/zero", `${s.path}/zero.bin`);
  s.write(
    "source_zero.yaml",
    `name: x\nconfigure:\n  files:\n    - path: ${s.path}/out\n      source: zero.bin\n`,
  );
  refused(
    "source link to /dev/zero",
    await cm(["validate", `${s.path}/source_zero.yaml`]),
    /expected a file inside the cookbook repository .* \(a link to \/dev\/zero\)/,
  );
});

Deno.test("a 200 MB inline content is refused by the size cap in well under a second of work", async () => {
  await using s = await scratch();
  const file = `${s.path}/huge.yaml`;
  s.write(
    "huge.yaml",
    `name: huge\nconfigure:\n  files:\n    - path: ${s.path}/out\n      content: "`,
  );
  Deno.truncateSync(file, 200 * 1024 * 1024);
  const ran = await cm(["validate", file]);
  refused("200 MB inline content", ran, /is larger than 16 MiB, the most cm reads/);
  // The process start (deno, permissions) is most of it; the file is never read.
  assert.ok(ran.ms < 5_000, `took ${Math.round(ran.ms)} ms`);

  s.write("includes_huge.yaml", "name: x\ninclude:\n  - huge.yaml\n");
  refused(
    "200 MB include",
    await cm(["validate", `${s.path}/includes_huge.yaml`]),
    /^\S+includes_huge.yaml:3:5: include\[0\]: "[^"]+huge.yaml" is larger than 16 MiB/m,
  );
});

Deno.test("cm sync refuses commits that escape the repository or read endless files (exit 4, last good kept)", async () => {
  await using s = await scratch();
  const remote = await Remote.create(`${s.path}/git`);
  const stateDir = `${s.path}/state`;
  s.write("config.yaml", "repo: file:///placeholder\n");
  const env = { CM_CONFIG: `${s.path}/config.yaml` };
  // Outside the repository, a file whose content must never be echoed.
  s.write("outside.yaml", `name: outside\ndescription: ${SECRET}\n`);
  const sync = () =>
    cm([
      "sync",
      "--once",
      "--repo",
      remote.fileUrl,
      "--state-dir",
      stateDir,
      "--cookbook",
      "node.yaml",
    ], env);
  const good = await remote.commit(
    {
      "node.yaml":
        `name: good\nconfigure:\n  files:\n    - path: ${s.path}/motd\n      content: "v1\\n"\n`,
    },
    "good",
  );
  assert.equal((await sync()).code, 0);

  const evil: [string, () => void, RegExp][] = [
    ["--cookbook is a committed link to outside", () => {
      Deno.removeSync(`${remote.work}/node.yaml`);
      Deno.symlinkSync(`${s.path}/outside.yaml`, `${remote.work}/node.yaml`);
    }, /--cookbook: expected a file inside the cookbook repository .*\(a link to /],
    ["include of an absolute path", () => {
      Deno.removeSync(`${remote.work}/node.yaml`);
      Deno.writeTextFileSync(
        `${remote.work}/node.yaml`,
        `name: x\ninclude:\n  - ${s.path}/outside.yaml\n`,
      );
    }, /node.yaml:3:5: include\[0\]: expected a file inside the cookbook repository/],
    [
      "include through a committed link",
      () => {
        Deno.symlinkSync(`${s.path}/outside.yaml`, `${remote.work}/base.yaml`);
        Deno.writeTextFileSync(`${remote.work}/node.yaml`, "name: x\ninclude:\n  - base.yaml\n");
      },
      /node.yaml:3:5: include\[0\]: expected a file inside the cookbook repository .*\(a link to /,
    ],
    [
      "include of a committed link to /dev/zero",
      () => {
        Deno.removeSync(`${remote.work}/base.yaml`);
        Deno.symlinkSync("/dev/zero", `${remote.work}/base.yaml`);
      },
      /node.yaml:3:5: include\[0\]: expected a file inside the cookbook repository .*\(a link to \/dev\/zero\)/,
    ],
  ];
  for (const [name, change, expect] of evil) {
    change();
    await remote.commit({}, name);
    const ran = await sync();
    // A problem inside a cookbook is located; a refused --cookbook is named in the "rejected" line.
    refused(`sync: ${name}`, ran, expect, 4, !name.startsWith("--cookbook"));
    const state = JSON.parse(Deno.readTextFileSync(`${stateDir}/state.json`));
    assert.equal(state.sync.lastGood, good, name);
  }
  assert.equal(Deno.readTextFileSync(`${s.path}/motd`), "v1\n");
  for (const file of walk(stateDir)) scan(Deno.readTextFileSync(file));
});

/** Every regular file under `dir`. */
function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...walk(path));
    else if (entry.isFile) files.push(path);
  }
  return files;
}

Deno.test("a planted secret reaches no output, run report or state file", async () => {
  await using s = await scratch();
  const stateDir = `${s.path}/state`;
  s.write("vars.yaml", `vars:\n  token: ${SECRET}\n`);
  Deno.chmodSync(`${s.path}/vars.yaml`, 0o600);
  s.write(
    "secret.yaml",
    [
      "name: secrets",
      "configure:",
      "  files:",
      `    - path: ${s.path}/app.env`,
      '      content: "TOKEN={{ token }}\\n"',
      '      mode: "0600"',
      "      sensitive: true",
      "install:",
      "  post_install:",
      "    - name: use token",
      '      command: ["sh", "-c", "echo $TOKEN; echo $TOKEN >&2"]',
      "      env: { TOKEN: '{{ token }}' }",
      "      sensitive: true",
      "    - name: fail with token",
      '      command: ["sh", "-c", "echo $TOKEN; exit 3"]',
      "      env: { TOKEN: '{{ token }}' }",
      "      sensitive: true",
      "",
    ].join("\n"),
  );
  const args = [
    "--state-dir",
    stateDir,
    "--vars-file",
    `${s.path}/vars.yaml`,
    `${s.path}/secret.yaml`,
  ];
  const runs = [
    await cm(["plan", "--diff", ...args]),
    await cm(["apply", "--diff", "-v", ...args]),
    await cm(["apply", "--json", ...args]),
  ];
  assert.deepEqual(runs.map((r) => r.code), [0, 1, 1], runs.map((r) => r.stderr).join("\n"));
  assert.equal(Deno.readTextFileSync(`${s.path}/app.env`), `TOKEN=${SECRET}\n`);
  let found = 0;
  for (const r of runs) found += scan(r.stdout + r.stderr);
  for (const file of walk(stateDir)) found += scan(Deno.readTextFileSync(file));
  assert.equal(found, 0);
});

Deno.test("a cookbook problem quoting a value of the vars file shows it masked", async () => {
  await using s = await scratch();
  s.write("vars.yaml", `vars:\n  mode: ${SECRET}\n`);
  Deno.chmodSync(`${s.path}/vars.yaml`, 0o600);
  s.write(
    "mode.yaml",
    'vars: {mode: "0600"}\nconfigure:\n  files:\n    - path: /srv/x\n      content: x\n      mode: "{{ mode }}"\n',
  );
  const args = ["--vars-file", `${s.path}/vars.yaml`, `${s.path}/mode.yaml`];
  const quoted = /configure\.files\[0\]\.mode: expected an octal mode .*, got "\*\*\*"$/m;
  refused("vars value in a problem (validate)", await cm(["validate", ...args]), quoted);
  refused("vars value in a problem (plan)", await cm(["plan", ...args]), quoted);
});

Deno.test("a managed path holding a newline and escape sequences cannot forge an output line", async () => {
  await using s = await scratch();
  const path = `${s.path}/x\nchanged   file[shadow]: content \u001b]0;pwned\u0007`;
  s.write(
    "forge.yaml",
    `name: forge\nconfigure:\n  files:\n    - path: ${
      JSON.stringify(path)
    }\n      content: "x\\n"\n`,
  );
  const args = ["--state-dir", `${s.path}/state`, `${s.path}/forge.yaml`];
  for (const ran of [await cm(["apply", "-v", ...args]), await cm(["apply", "-v", ...args])]) {
    const output = ran.stdout + ran.stderr;
    assert.equal(ran.code, 0, output);
    assert.doesNotMatch(output, /^changed +file\[shadow\]/m);
    assert.doesNotMatch(output, RAW_CONTROL);
    assert.match(output, /file\[.*x changed {3}file\[shadow\]: content \]0;pwned\]/);
  }
  assert.equal(Deno.readTextFileSync(path), "x\n");
});

Deno.test("figures: hostile inputs rejected cleanly, secrets found", () => {
  const clean = tried.filter((t) => t.clean).length;
  const bugs = tried.filter((t) => t.code === 70).length;
  console.log(`hostile inputs rejected cleanly: ${clean}/${tried.length} tried (exit 70: ${bugs})`);
  console.log(`secrets found in any output/artefact: ${secretsFound}`);
  assert.ok(tried.length >= 35, `only ${tried.length} hostile inputs tried`);
  assert.equal(clean, tried.length);
  assert.equal(bugs, 0);
  assert.equal(secretsFound, 0);
});

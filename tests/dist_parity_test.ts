/**
 * dist/cm (the bundle operators run) says exactly what the source says. The
 * bundle is built from npm packages' browser builds (yaml, nunjucks), not the
 * Node builds `deno run` of the source loads, so every broken and hostile
 * cookbook of the corpora, the bundled examples and a template-heavy
 * cookbook are validated by both, and a template plan is compared line for
 * line: same exit code, same stdout, same stderr.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ensureDistCm } from "../scripts/dist.ts";
import { type CmResult, runCm, tempDir } from "./harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The `.yaml` files directly in `dir` (relative to the checkout), sorted. */
function yamlIn(dir: string): string[] {
  return [...Deno.readDirSync(`${ROOT}${dir}`)]
    .filter((e) => e.isFile && e.name.endsWith(".yaml"))
    .map((e) => `${ROOT}${dir}/${e.name}`)
    .sort();
}

const TEMPLATES = `name: templates
vars:
  users: [{ name: ann, shell: /bin/bash }, { name: bob }]
  port: 8080
configure:
  files:
    - path: {out}/users
      content: |
        {% for u in users | sort(false, false, "name") %}{{ loop.index }} {{ u.name | upper }} {{ u.shell | default("/bin/sh") }}
        {% endfor %}{% set total = port * 2 %}{{ total }} {{ "%05d" | replace("%05d", port) }} {{ users | length }}
        {% if port > 1024 %}unprivileged{% else %}privileged{% endif %} {{ facts.hostname | length > 0 }}
    - path: {out}/macro
      content: |
        {% macro row(k, v) %}{{ k }}={{ v | trim | title }}{% endmacro %}{{ row("a", "  hello world ") }}
        {{ [3, 1, 2] | sort | join(",") }} {{ "a" if false else "x" | replace("x", "y") }} {{ {"b": 1, "a": 2} | dictsort | first | first }}
`;

/**
 * The column where the YAML parser ran out of stack: it depends on the
 * parser's frame sizes, which differ between its two builds.
 */
const STACK_DEPTH = /:\d+(: invalid YAML: maximum call stack size exceeded)/;

/** Runs dist/cm `args` in the clean environment the source runs in, its runtime cache in `runtime`. */
async function runDist(bin: string, args: string[], runtime: string): Promise<CmResult> {
  const { code, stdout, stderr } = await new Deno.Command(bin, {
    args,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      CM_RUNTIME_DIR: runtime,
    },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Runs `each` over `items`, two at a time (this machine's cores). */
async function pairwise<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
  };
  await Promise.all([worker(), worker()]);
}

Deno.test("dist/cm validates every corpus cookbook and example exactly as the source does", async () => {
  const { path: bin, artefact } = await ensureDistCm();
  await using dir = await tempDir();
  const templates = `${dir.path}/templates.yaml`;
  await Deno.writeTextFile(templates, TEMPLATES.replaceAll("{out}", dir.path));
  const books = [
    ...yamlIn("tests/testdata/broken"),
    ...yamlIn("tests/testdata/hostile"),
    `${ROOT}cookbooks/hello-web.yaml`,
    ...yamlIn("cookbooks/php-app/nodes"),
    templates,
  ];
  assert.ok(books.length > 100, `only ${books.length} cookbooks`);
  const differ: string[] = [];
  await pairwise(books, async (book) => {
    const args = ["validate", book];
    const source = JSON.stringify(await runCm(args)).replace(STACK_DEPTH, "$1");
    const dist = JSON.stringify(await runDist(bin, args, `${dir.path}/runtime`))
      .replace(STACK_DEPTH, "$1");
    if (source !== dist) {
      differ.push(`${book}:\n  source ${source}\n  dist   ${dist}`);
    }
  });
  assert.deepEqual(differ, [], differ.join("\n"));
  console.log(`${books.length} cookbooks validated alike by the source and dist/cm (${artefact})`);
});

Deno.test("dist/cm renders templates exactly as the source does", async () => {
  const { path: bin } = await ensureDistCm();
  await using dir = await tempDir();
  const book = `${dir.path}/templates.yaml`;
  await Deno.writeTextFile(book, TEMPLATES.replaceAll("{out}", dir.path));
  const plan = (state: string) => ["plan", "--diff", "--state-dir", `${dir.path}/${state}`, book];
  // The plan's own duration ("in 0.01 s") is the one thing the two may say differently.
  const timeless = (r: CmResult) => ({
    ...r,
    stdout: r.stdout.replace(/ in \d+\.\d\d s\n/g, "\n"),
  });
  const source = timeless(await runCm(plan("source")));
  const dist = timeless(await runDist(bin, plan("dist"), `${dir.path}/runtime`));
  assert.equal(source.code, 0, source.stderr);
  assert.match(source.stdout, /\+1 ANN \/bin\/bash\n.*\+2 BOB \/bin\/sh\n/s);
  assert.match(source.stdout, /^plan: 2 to change, 0 unchanged, 0 failed, 0 skipped\n/m);
  assert.deepEqual(dist, source);
});

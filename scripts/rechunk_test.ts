import assert from "node:assert/strict";
import { rechunk } from "./rechunk.ts";

/** esbuild-shaped chunks: main imports a helper statically and the CLI dynamically, the CLI the commands. */
const CHUNKS: Record<string, string> = {
  "main.js": `import { version } from "./chunk-V.js";
// main.ts
const [{ cli }, { code }] = await Promise.all([import("./mod-M.js"), import("./exit-E.js")]);
console.log(version, await cli(Deno.args[0]), code);
`,
  "chunk-V.js": `// src/version.ts
export const version = "1.0";
`,
  "chunk-S.js": `import { version } from "./chunk-V.js";
// src/text.ts
export const shared = (s) => \`\${s}@\${version}\`;
`,
  "mod-M.js": `import { shared } from "./chunk-S.js";
// src/cli/mod.ts
const commands = { apply: () => import("./apply-A.js"), other: () => import("./other-O.js") };
export async function cli(name) { return shared((await commands[name]()).run()); }
`,
  "exit-E.js": `import "./chunk-S.js";
// src/cli/exit.ts
export const code = 0;
`,
  "apply-A.js": `import { shared } from "./chunk-S.js";
import { engine } from "./chunk-R.js";
// src/cli/commands/apply.ts
export const run = () => engine(shared("apply"));
`,
  "chunk-R.js": `// src/engine/run.ts
export const engine = (s) => \`ran \${s}\`;
`,
  "other-O.js": `import { engine } from "./chunk-R.js";
import { big } from "./chunk-B.js";
// src/cli/commands/other.ts
export const run = () => engine(big);
`,
  "chunk-B.js": `// src/big.ts
export const big = "big";
`,
};

async function bundleDir(chunks: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [name, code] of Object.entries(chunks)) {
    await Deno.writeTextFile(`${dir}/${name}`, code);
  }
  return dir;
}

async function runMain(dir: string, arg: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-config", `${dir}/main.js`, arg],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** The chunks `code` imports statically (its own `import ... from "./x.js"` lines). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/^import .*?["']\.\/([^"']+)["'];?$/gm)].map((m) => m[1]);
}

Deno.test("the CLI and the apply command become one core chunk; the program runs as before", async () => {
  const from = await bundleDir(CHUNKS);
  const to = await Deno.makeTempDir();
  try {
    await rechunk(from, `${to}/cm`);
    const names = [...Deno.readDirSync(`${to}/cm`)].map((e) => e.name).sort();
    const core = names.filter((n) => n.startsWith("core-"));
    const start = names.filter((n) => n.startsWith("start-"));
    assert.equal(core.length, 1, names.join(" "));
    assert.equal(start.length, 1, names.join(" "));
    const main = await Deno.readTextFile(`${to}/cm/main.js`);
    // main.js needs only its own imports before it runs: `cm --version` loads no more.
    assert.deepEqual(staticImports(main), start);
    const coreCode = await Deno.readTextFile(`${to}/cm/${core[0]}`);
    for (const origin of ["src/cli/mod.ts", "src/cli/exit.ts", "src/cli/commands/apply.ts"]) {
      assert.match(coreCode, new RegExp(`^// ${origin}$`, "m"));
    }
    // What only another command uses stays out of core.
    assert.doesNotMatch(coreCode, /src\/big\.ts|src\/cli\/commands\/other\.ts/);
    assert.equal(await runMain(from, "apply"), "1.0 ran apply@1.0@1.0 0");
    assert.equal(await runMain(`${to}/cm`, "apply"), "1.0 ran apply@1.0@1.0 0");
    assert.equal(await runMain(`${to}/cm`, "other"), "1.0 ran big@1.0 0");
  } finally {
    await Deno.remove(from, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});

Deno.test("a bundle without the apply command's chunk is refused, naming it", async () => {
  const { ["apply-A.js"]: _, ...rest } = CHUNKS;
  const from = await bundleDir({
    ...rest,
    "mod-M.js": rest["mod-M.js"].replace(`apply: () => import("./apply-A.js"), `, ""),
  });
  const to = await Deno.makeTempDir();
  try {
    await assert.rejects(rechunk(from, `${to}/cm`), /no src\/cli\/commands\/apply\.ts module/);
  } finally {
    await Deno.remove(from, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});

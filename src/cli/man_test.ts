import assert from "node:assert/strict";
import { cli } from "./mod.ts";
import { roff } from "./man.ts";
import { withStdin } from "../_testing.ts";

/** What `cm ...argv` prints on stdout, and its exit code. */
async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  const log = console.log;
  let out = "";
  console.log = (text: string) => out += `${text}\n`;
  try {
    return { code: await cli(argv), out };
  } finally {
    console.log = log;
  }
}

Deno.test("roff: backslashes, hyphens and a leading dot or quote cannot act as roff", () => {
  assert.equal(roff("--state-dir C:\\x"), "\\-\\-state\\-dir C:\\ex");
  assert.equal(roff(".SH x\n'y\nz."), "\\&.SH x\n\\&'y\nz.");
});

Deno.test("cm help --man: every command and option of --help, and a page groff reads without a warning", async () => {
  const { code, out } = await captured(["help", "--man"]);
  assert.equal(code, 0);
  assert.match(out, /^\.TH CM 1 "" "cm \d+\.\d+\.\d+" "cm manual"\n/);
  const { out: help } = await captured(["--help"]);
  const names = [...help.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]).filter((n) =>
    n !== "help"
  );
  assert.ok(names.length >= 14, help);
  for (const name of names) {
    assert.match(
      out,
      new RegExp(`^\\.SS "cm ${roff(name).replaceAll("\\", "\\\\")}\\b`, "m"),
      name,
    );
    const { out: own } = await captured([name, "--help"]);
    for (const [flag] of own.matchAll(/--[a-z-]+/g)) {
      if (flag !== "--help") assert.ok(out.includes(roff(flag)), `${name} ${flag}`);
    }
  }
  const checked = await withStdin("groff", ["-man", "-Tutf8", "-ww", "-z"], out);
  assert.equal(checked.stderr, "", "groff warnings");
  assert.equal(checked.code, 0);
});

import assert from "node:assert/strict";
import { unifiedDiff } from "./_diff.ts";

/** GNU diff -u's hunks for the same texts (headers dropped: they hold temp names and times). */
async function gnuDiff(oldText: string, newText: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, oldText);
    await Deno.writeTextFile(`${dir}/b`, newText);
    const out = await new Deno.Command("diff", { args: ["-u", `${dir}/a`, `${dir}/b`] }).output();
    return new TextDecoder().decode(out.stdout).split("\n").slice(2).join("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Applies a unified diff to `oldText` (the test's own reading of the format). */
function patch(oldText: string, diff: string): string {
  const old = oldText === "" ? [] : oldText.split(/(?<=\n)/);
  const out: string[] = [];
  let at = 0;
  const lines = diff.split(/(?<=\n)/).slice(2);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@\n$/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - (hunk[2] === "0" ? 0 : 1);
      while (at < start) out.push(old[at++]);
      continue;
    }
    let text = line.slice(1);
    if (lines[i + 1] === "\\ No newline at end of file\n") {
      text = text.slice(0, -1);
      i++;
    }
    if (line[0] === " " || line[0] === "-") {
      assert.equal(old[at], text, `context or removed line ${at + 1} must match`);
      at++;
    }
    if (line[0] === " " || line[0] === "+") out.push(text);
  }
  while (at < old.length) out.push(old[at++]);
  return out.join("");
}

Deno.test("unifiedDiff is empty for equal texts", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n"), "");
  assert.equal(unifiedDiff("", ""), "");
});

Deno.test("unifiedDiff prints labels, a hunk header and three lines of context", () => {
  const oldText = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const newText = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  assert.equal(
    unifiedDiff(oldText, newText, { oldLabel: "/etc/x", newLabel: "/etc/x (new)" }),
    [
      "--- /etc/x",
      "+++ /etc/x (new)",
      "@@ -2,7 +2,7 @@",
      " 2",
      " 3",
      " 4",
      "-5",
      "+five",
      " 6",
      " 7",
      " 8",
      "",
    ].join("\n"),
  );
});

Deno.test("unifiedDiff matches GNU diff -u on new, emptied, end-of-file and multi-hunk cases", async () => {
  const many = Array.from({ length: 40 }, (_, i) => `line ${i}\n`);
  const changed = [...many];
  changed[2] = "changed 2\n";
  changed.splice(20, 1);
  changed.splice(35, 0, "inserted\n");
  const near = [...many];
  near[10] = "x\n";
  near[16] = "y\n";
  const cases: [string, string][] = [
    ["", "hello\nworld\n"],
    ["hello\nworld\n", ""],
    ["a\nb\nc", "a\nb\nc\n"],
    ["a\nb\nc\n", "a\nb\nd"],
    ["only\n", "other\n"],
    [many.join(""), changed.join("")],
    [many.join(""), near.join("")],
    ["a\nb\nc\nd\n", "b\nc\nd\ne\n"],
  ];
  for (const [oldText, newText] of cases) {
    const ours = unifiedDiff(oldText, newText).split("\n").slice(2).join("\n");
    assert.equal(
      ours,
      await gnuDiff(oldText, newText),
      `for ${JSON.stringify([oldText, newText])}`,
    );
  }
});

Deno.test("unifiedDiff output turns the old text into the new one on random edits", () => {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const words = ["a", "b", "c", "d", ""];
    const make = () =>
      Array.from({ length: random(30) }, () => words[random(words.length)]).join("\n") +
      (random(2) ? "\n" : "");
    const oldText = make();
    const newText = make();
    const diff = unifiedDiff(oldText, newText, { context: random(4) });
    if (oldText === newText) assert.equal(diff, "");
    else assert.equal(patch(oldText, diff), newText, JSON.stringify([oldText, newText]));
  }
});

Deno.test("unifiedDiff falls back to remove-all, add-all beyond maxEdits and stays correct", () => {
  const oldText = Array.from({ length: 50 }, (_, i) => `old ${i}\n`).join("");
  const newText = Array.from({ length: 50 }, (_, i) => `new ${i}\n`).join("");
  const diff = unifiedDiff(oldText, newText, { maxEdits: 10 });
  assert.equal(patch(oldText, diff), newText);
  assert.match(diff, /^@@ -1,50 \+1,50 @@$/m);
});

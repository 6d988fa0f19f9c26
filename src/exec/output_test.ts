import assert from "node:assert/strict";
import { exitedWith, outputTail, printable, printableLines, tail } from "./output.ts";
import { maskSecrets } from "../text.ts";

Deno.test("tail keeps the last non-empty lines, says how many it cut, and cuts a long line's front", () => {
  assert.equal(tail("a\n\nb\nc\nd\ne\nf\n\n"), "(1 earlier line cut)\nb\nc\nd\ne\nf");
  assert.equal(tail("b\r\nc  \n"), "b\nc");
  assert.equal(tail("x".repeat(900)), `...${"x".repeat(800)}`);
});

Deno.test("tail keeps whole lines within its byte bound", () => {
  const text = Array.from({ length: 40 }, (_, i) => `line ${i} ${"x".repeat(90)}`).join("\n");
  const kept = tail(text, 20, 2048).split("\n");
  assert.equal(kept[0], "(20 earlier lines cut)");
  assert.equal(kept.length, 21);
  assert.match(kept[20], /^line 39 /);
  const bytes = tail(text, 30, 500).split("\n");
  assert.deepEqual([bytes[0], bytes.length], ["(35 earlier lines cut)", 6]);
});

Deno.test("printableLines keeps the line breaks and strips the rest", () => {
  assert.deepEqual(printableLines("a\x1b[2J\r\nb\tc"), ["a[2J", "b c"]);
});

Deno.test("outputTail shows the stream written to, both when both were, and says when there was none", () => {
  assert.equal(outputTail("out\n", "err\n"), "stdout:\nout\nstderr:\nerr");
  const many = Array.from({ length: 15 }, (_, i) => `line ${i}`).join("\n");
  assert.equal(
    outputTail(many, "err"),
    `stdout:\n(5 earlier lines cut)\n${many.split("\n").slice(5).join("\n")}\nstderr:\nerr`,
  );
  assert.equal(outputTail("", "err\n"), "err");
  assert.equal(outputTail("out\n", "  \n"), "out");
  assert.equal(outputTail("", ""), "(no output)");
});

Deno.test("exitedWith names the tool and code and ends with stderr, else stdout", () => {
  assert.equal(
    exitedWith("dpkg-query", { code: 2, stdout: "out\n", stderr: "bad\nworse\n" }),
    "dpkg-query exited 2: bad\nworse",
  );
  assert.equal(
    exitedWith("apt-get", { code: 100, stdout: "E: lock\n", stderr: " \n" }),
    "apt-get exited 100: E: lock",
  );
});

Deno.test("printable strips escape sequences' control characters, CR, BEL, C1 and bidi overrides", () => {
  assert.equal(
    printable("\x1b]0;owned\x07\x1b[31mred\x1b[0m\rfake\x9b2J \u202eevil\u202c"),
    "]0;owned[31mred[0mfake2J evil",
  );
  assert.equal(printable("fix\tnginx\nconfig"), "fix nginx config");
  assert.equal(printable("Ünïcode — fine"), "Ünïcode — fine");
});

Deno.test("tail cuts a long line at a blank, so no part of a quoted secret outlives its mask", () => {
  const secret = "tok-SECRET-VALUE-123";
  // The last 800 characters begin inside the secret.
  const text = `start of output ${secret} ${"z ".repeat(395)}`;
  const shown = maskSecrets(tail(text), [secret]);
  assert.equal(shown.includes("VALUE-123"), false, shown);
  assert.match(shown, /^\.\.\.z z/);
  assert.equal(tail(`ab ${"c".repeat(800)}`), `...${"c".repeat(800)}`, "cut at a blank already");
});

import assert from "node:assert/strict";
import { quoteArgv, splitCommand } from "./argv.ts";

Deno.test("splitCommand splits on blanks and keeps quoted text literally", () => {
  assert.deepEqual(splitCommand("  /bin/systemctl   enable\tnginx "), [
    "/bin/systemctl",
    "enable",
    "nginx",
  ]);
  assert.deepEqual(splitCommand(`echo 'a  b' "c 'd'" e\\ f ''`), [
    "echo",
    "a  b",
    "c 'd'",
    "e f",
    "",
  ]);
  assert.deepEqual(splitCommand(`printf "%s\\n" "say \\"hi\\" \\\\ now"`), [
    "printf",
    "%s\\n",
    'say "hi" \\ now',
  ]);
  assert.deepEqual(splitCommand(`a'b'"c"d`), ["abcd"]);
});

Deno.test("splitCommand passes quoted globs and quoted operators literally", () => {
  assert.deepEqual(splitCommand("ls '*.conf' \\[ab\\]\\? 'x|y' \"a;b\" '$HOME'"), [
    "ls",
    "*.conf",
    "[ab]?",
    "x|y",
    "a;b",
    "$HOME",
  ]);
  assert.deepEqual(splitCommand("echo a#b \\$x"), ["echo", "a#b", "$x"]);
});

Deno.test("splitCommand accepts a trailing newline and backslash-newline continuations", () => {
  assert.deepEqual(splitCommand("apt-get update\n"), ["apt-get", "update"]);
  assert.deepEqual(splitCommand("apt-get \\\n  update"), ["apt-get", "update"]);
});

Deno.test("splitCommand refuses shell operators outside quotes and says to use shell: true", () => {
  for (
    const text of [
      "cat /etc/passwd | grep root",
      "a; b",
      "a && b",
      "echo x > /tmp/x",
      "sort < x",
      "echo $HOME",
      "echo `id`",
      'echo "$HOME"',
      "(cd /tmp)",
      "ls # comment",
      "ls ~/x",
      "a\nb",
    ]
  ) {
    const result = splitCommand(text);
    assert.ok(!Array.isArray(result), `expected ${JSON.stringify(text)} to be refused`);
    assert.match(result.error, /shell: true/);
  }
});

Deno.test("splitCommand reports unterminated quotes and empty commands", () => {
  assert.deepEqual(splitCommand("echo 'x"), {
    error: `unterminated single quote in "echo 'x"`,
  });
  assert.match((splitCommand('echo "x') as { error: string }).error, /unterminated double/);
  assert.match((splitCommand("echo \\") as { error: string }).error, /trailing backslash/);
  assert.deepEqual(splitCommand("   "), { error: "expected a non-empty command" });
});

Deno.test("quoteArgv quotes only what needs it and round-trips through splitCommand", () => {
  const argv = ["grep", "-q", "it's here", "", "a b", "/etc/x.conf", "$HOME"];
  const text = quoteArgv(argv);
  assert.equal(text, `grep -q 'it'\\''s here' '' 'a b' /etc/x.conf '$HOME'`);
  assert.deepEqual(splitCommand(text), argv);
});

Deno.test("splitCommand refuses unquoted globs, which only a shell expands, and keeps quoted ones", () => {
  assert.deepEqual(splitCommand("rm -f /var/cache/app/*.tmp"), {
    error:
      'the glob "*" needs a shell: use "shell: true" or quote it (command: "rm -f /var/cache/app/*.tmp")',
  });
  assert.ok("error" in (splitCommand("ls file?.txt") as object));
  assert.ok("error" in (splitCommand("ls [ab].txt") as object));
  assert.deepEqual(splitCommand("find / -name '*.tmp'"), ["find", "/", "-name", "*.tmp"]);
  assert.deepEqual(splitCommand("[ -f /etc/x ]"), ["[", "-f", "/etc/x", "]"]);
});

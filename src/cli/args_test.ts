import * as assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { type CommandSpec, helpText, optionKey, parseCommand, usageTail } from "./args.ts";

const positive = (v: string) => {
  if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`expected a positive whole number, got "${v}"`);
  return Number(v);
};

const apply: CommandSpec = {
  name: "apply",
  summary: "converge the machine to the cookbooks",
  argument: { name: "cookbook", help: "cookbook YAML files", many: true },
  options: [
    { flag: "--diff", help: "show diffs" },
    { flag: "--quiet", short: "-q", help: "quiet" },
    { flag: "--verbose", short: "-v", help: "verbose" },
    { flag: "--state-dir", value: "dir", help: "state directory" },
    {
      flag: "--limit",
      short: "-n",
      value: "count",
      help: "how many",
      parse: positive,
      default: 20,
    },
    { flag: "--cookbook", value: "path", help: "repeatable", repeat: true },
  ],
  epilog: "\nExamples:\n  $ cm apply web.yaml\n",
  run: () => 0,
};

const parse = (argv: string[], command = apply) => parseCommand(command, argv, ["cm"]);

function usageError(argv: string[], pattern: RegExp, command = apply): void {
  assert.throws(() => parse(argv, command), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("options and operands mix as getopt_long mixes them; -- ends the options", () => {
  const parsed = parse([
    "a.yaml",
    "--diff",
    "--state-dir",
    "/tmp/s",
    "b.yaml",
    "-qv",
    "--",
    "--diff",
    "-q",
  ]);
  assert.ok(!("help" in parsed));
  assert.deepEqual(parsed.operands, ["a.yaml", "b.yaml", "--diff", "-q"]);
  assert.deepEqual(parsed.options, {
    diff: true,
    stateDir: "/tmp/s",
    quiet: true,
    verbose: true,
    limit: 20,
  });
});

Deno.test("values: --name=value, the next word (even one starting with -), -n5, -n 5", () => {
  const values = (argv: string[]) => {
    const parsed = parse([...argv, "x.yaml"]);
    return "help" in parsed ? undefined : parsed.options;
  };
  assert.equal(values(["--state-dir=/a=b"])?.stateDir, "/a=b");
  assert.equal(values(["--state-dir", "-odd"])?.stateDir, "-odd");
  assert.equal(values(["-n5"])?.limit, 5);
  assert.equal(values(["-qn", "7"])?.limit, 7);
  assert.equal(values(["--limit", "3"])?.limit, 3);
  assert.deepEqual(values(["--cookbook", "a", "--cookbook=b"])?.cookbook, ["a", "b"]);
  assert.equal(values([])?.cookbook, undefined);
});

Deno.test("a lone - is an operand (stdin by convention)", () => {
  const parsed = parse(["-"]);
  assert.deepEqual("help" in parsed ? null : parsed.operands, ["-"]);
});

Deno.test("usage errors name the option, the value and where to look", () => {
  usageError(["--jsn", "x"], /^unknown option '--jsn' \(cm apply --help lists them\)$/);
  usageError(["--dif", "x"], /^unknown option '--dif'; did you mean '--diff'\?/);
  usageError(["-x", "x"], /^unknown option '-x'/);
  usageError(["-qx", "x"], /^unknown option '-x'/);
  usageError(["--diff=yes", "x"], /^option '--diff' takes no value, got "yes"$/);
  usageError(["x", "--state-dir"], /^option '--state-dir <dir>' needs a value$/);
  usageError(["x", "-n"], /^option '-n, --limit <count>' needs a value$/);
  usageError(["x", "--state-dir="], /^option '--state-dir <dir>' needs a value, got ""$/);
  usageError(["x", "--state-dir", ""], /^option '--state-dir <dir>' needs a value, got ""$/);
  usageError(["x", "-n", ""], /^option '-n, --limit <count>' needs a value, got ""$/);
  usageError(
    ["-n", "0", "x"],
    /^option '-n, --limit <count>': expected a positive whole number, got "0"$/,
  );
  usageError([], /^apply needs at least one cookbook \(cookbook YAML files\)$/);
  usageError(["--diff"], /^apply needs at least one cookbook/);
});

Deno.test("operand counts: none, one, optional", () => {
  const status: CommandSpec = { name: "status", summary: "s", run: () => 0 };
  usageError(["x", "y"], /^status takes no arguments, got "x" "y"$/, status);
  const show: CommandSpec = {
    name: "show-run",
    summary: "s",
    argument: { name: "id", help: "run id" },
    run: () => 0,
  };
  usageError([], /^show-run needs a id \(run id\)$/, show);
  usageError(["a", "b"], /^show-run takes one id, got "b"$/, show);
  const rollback: CommandSpec = {
    ...show,
    name: "rollback",
    argument: { name: "run-id", help: "r", optional: true },
  };
  const none = parse([], rollback);
  assert.deepEqual("help" in none ? null : none.operands, []);
});

Deno.test("-h or --help anywhere before -- asks for help, whatever else is wrong", () => {
  for (const argv of [["--help"], ["x", "-h"], ["--bogus", "--help"], ["--state-dir", "-h"]]) {
    const parsed = parse(argv);
    assert.ok("help" in parsed, argv.join(" "));
  }
  const after = parse(["--", "--help"]);
  assert.deepEqual("help" in after ? null : after.operands, ["--help"]);
});

Deno.test("help: usage line, summary, arguments, options with values and defaults, epilog", () => {
  const text = helpText(apply, ["cm"]);
  assert.match(text, /^Usage: cm apply \[options\] <cookbook\.\.\.>\n\nconverge the machine/);
  assert.ok(text.includes("\nArguments:\n  cookbook  cookbook YAML files\n"));
  assert.match(text, /\n {2}-n, --limit <count> +how many \(default: 20\)\n/);
  assert.match(text, /\n {2}-h, --help +display help for command\n/);
  assert.ok(text.endsWith("Examples:\n  $ cm apply web.yaml\n"));
  const long = helpText({ ...apply, options: [{ flag: "--x", help: "word ".repeat(40).trim() }] });
  for (const line of long.split("\n")) assert.ok(line.length <= 80, line);
});

Deno.test("subcommands: chosen by the first word; none, or an unknown one, is a usage error", () => {
  const install: CommandSpec = {
    name: "install",
    summary: "i",
    options: [{ flag: "--watch", help: "w" }],
    run: () => 0,
  };
  const timer: CommandSpec = {
    name: "timer",
    summary: "t",
    subcommands: [install, { name: "uninstall", summary: "u", run: () => 0 }],
  };
  const parsed = parse(["install", "--watch"], timer);
  assert.ok(!("help" in parsed));
  assert.equal(parsed.command, install);
  assert.deepEqual(parsed.options, { watch: true });
  usageError([], /^timer needs a command: install or uninstall$/, timer);
  usageError(["instal"], /^unknown command 'instal'; did you mean 'install'\?/, timer);
  const help = parse(["--help"], timer);
  assert.match("help" in help ? help.help : "", /Commands:\n {2}install \[options\] +i\n/);
  const subHelp = parse(["install", "--help"], timer);
  assert.match("help" in subHelp ? subHelp.help : "", /^Usage: cm timer install \[options\]/);
  assert.equal(usageTail(timer), "[command]");
});

Deno.test("option keys are the long flag in camelCase", () => {
  assert.equal(optionKey("--detailed-exitcodes"), "detailedExitcodes");
  assert.equal(optionKey("--state-dir"), "stateDir");
  assert.equal(optionKey("--json"), "json");
});

Deno.test("an empty operand is refused by name; a lone - is a command name, not an option", () => {
  usageError(["a.yaml", ""], /^apply: an empty cookbook argument \(""\)$/);
  const timer: CommandSpec = {
    name: "timer",
    summary: "t",
    subcommands: [{ name: "install", summary: "i", run: () => 0 }],
  };
  usageError(["-"], /^unknown command '-'/, timer);
  usageError(["-x"], /^unknown option '-x'/, timer);
});

Deno.test("Puppet's --noop, Chef's --why-run and --dry-run point at --check where the command has it", () => {
  const withCheck: CommandSpec = {
    ...apply,
    options: [...apply.options!, { flag: "--check", help: "plan" }],
  };
  usageError(
    ["--noop", "x"],
    /^unknown option '--noop'; did you mean '--check'\? \(cm apply --help lists them\)$/,
    withCheck,
  );
  usageError(["--why-run", "x"], /did you mean '--check'\?/, withCheck);
  usageError(["--dry-run", "x"], /did you mean '--check'\?/, withCheck);
  usageError(["--noop", "x"], /^unknown option '--noop' \(cm apply --help lists them\)$/);
});

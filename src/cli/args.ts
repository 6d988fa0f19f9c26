/**
 * The command line as data: each command declares its argument and options
 * ({@link CommandSpec}); {@link parseCommand} reads argv against that table the
 * way GNU getopt_long and commander do, and {@link helpText} renders `--help`.
 *
 * Rules (getopt_long(3)): options and operands may be mixed; `--` ends the
 * options; a long option takes its value as `--name=value` or the next word;
 * short switches combine (`-qv`), a short option's value may follow it (`-n5`)
 * or be the next word; `-h`/`--help` anywhere before `--` asks for help,
 * whatever else is wrong. An empty value (`--state-dir=`, `-n ''`) is refused.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { didYouMean } from "../text.ts";

/** One option: a switch (no `value`) or an option with a value. */
export interface OptionSpec {
  /** The long form, e.g. `--state-dir`; its key in the parsed options is camelCase (`stateDir`). */
  flag: `--${string}`;
  /** A one-letter alias, e.g. `-q`. */
  short?: `-${string}`;
  /** The value's placeholder in help (`dir`); absent for a switch. */
  value?: string;
  help: string;
  /** Converts the value; throws {@link UsageError} for a bad one. Default: the string itself. */
  parse?: (value: string) => unknown;
  /** Every occurrence is collected into an array. */
  repeat?: boolean;
  /** The value when the option is absent (shown in help). */
  default?: unknown;
}

/** The command's operands: one name, which may take several words. */
export interface ArgumentSpec {
  name: string;
  help: string;
  /** Takes any number of words (at least one unless `optional`). */
  many?: boolean;
  optional?: boolean;
}

/** Parsed options by camelCase key: `true` for switches, parsed values, arrays for `repeat`. */
export type Options = Record<string, unknown>;

/**
 * A command: what it takes, its help, and what it runs (or its subcommands).
 * `O` is the shape of its parsed options: the camelCase keys of its flags.
 */
export interface CommandSpec<D = unknown, O = Options> {
  name: string;
  /** One line for the command list; also the first line of its help. */
  summary: string;
  argument?: ArgumentSpec;
  options?: OptionSpec[];
  /** Text after the options in help: exit codes, examples. */
  epilog?: string;
  subcommands?: CommandSpec<D>[];
  /** Runs the command; resolves to its exit code. */
  run?(operands: string[], options: O, deps: D): number | Promise<number>;
}

/** What argv asked for: help text, or a command with its operands and options. */
export type Parsed<D> =
  | { help: string }
  | { command: CommandSpec<D>; operands: string[]; options: Options };

const HELP: OptionSpec = { flag: "--help", short: "-h", help: "display help for command" };

/** `--lock-timeout` as `lockTimeout`. */
export function optionKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Reads `argv` (the words after the command path) for `command`, whose path
 * is `path` (e.g. `["cm", "timer"]`).
 *
 * @throws {UsageError} for an unknown option or command, a missing or
 *   malformed value, or a wrong number of operands
 */
export function parseCommand<D>(
  command: CommandSpec<D>,
  argv: string[],
  path: string[] = [],
): Parsed<D> {
  const here = [...path, command.name];
  if (command.subcommands) return parseSubcommand(command, argv, here);
  if (asksHelp(argv)) return { help: helpText(command, path) };
  const options = command.options ?? [];
  const parsed: Options = {};
  const operands: string[] = [];
  const see = `(${here.join(" ")} --help lists them)`;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const option = options.find((o) => o.flag === name);
      if (!option) throw new UsageError(unknown(name, options.map((o) => o.flag), see));
      if (!option.value && eq >= 0) {
        throw new UsageError(`option '${name}' takes no value, got "${word.slice(eq + 1)}"`);
      }
      if (!option.value) set(parsed, option, true);
      else if (eq >= 0) set(parsed, option, word.slice(eq + 1));
      else set(parsed, option, valueAfter(argv, i++, option));
    } else if (word.startsWith("-") && word.length > 1) {
      i = readShorts(argv, i, options, parsed, see);
    } else operands.push(word);
  }
  checkOperands(command, operands, here);
  for (const option of options) {
    const key = optionKey(option.flag);
    if (!(key in parsed) && option.default !== undefined) parsed[key] = option.default;
  }
  return { command, operands, options: parsed };
}

/** `-h` or `--help` before any `--`. */
function asksHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((w) => w === "--help" || w === "-h");
}

function parseSubcommand<D>(command: CommandSpec<D>, argv: string[], here: string[]): Parsed<D> {
  const [name, ...rest] = argv;
  const subs = command.subcommands ?? [];
  if (name === undefined) {
    throw new UsageError(
      `${here.slice(1).join(" ")} needs a command: ${subs.map((s) => s.name).join(" or ")}`,
    );
  }
  if (name === "--help" || name === "-h") return { help: helpText(command, here.slice(0, -1)) };
  const sub = subs.find((s) => s.name === name);
  if (!sub) {
    const names = subs.map((s) => s.name);
    throw new UsageError(unknown(name, names, `(${here.join(" ")} --help lists them)`));
  }
  return parseCommand(sub, rest, here);
}

/** Reads the short option word `argv[i]` (`-q`, `-qv`, `-n5`, `-n 5`); returns the last index used. */
function readShorts(
  argv: string[],
  i: number,
  options: OptionSpec[],
  parsed: Options,
  see: string,
): number {
  const word = argv[i];
  for (let at = 1; at < word.length; at++) {
    const letter = `-${word[at]}`;
    const option = options.find((o) => o.short === letter);
    if (!option) throw new UsageError(unknown(letter, [], see));
    if (!option.value) {
      set(parsed, option, true);
      continue;
    }
    if (at + 1 < word.length) set(parsed, option, word.slice(at + 1));
    else set(parsed, option, valueAfter(argv, i++, option));
    break;
  }
  return i;
}

function valueAfter(argv: string[], i: number, option: OptionSpec): string {
  if (i + 1 >= argv.length) {
    throw new UsageError(`option '${label(option)}' needs a value`);
  }
  return argv[i + 1];
}

function set(parsed: Options, option: OptionSpec, raw: string | true): void {
  // No option takes an empty value: --state-dir= would read as "/", --unit-dir= as the root.
  if (raw === "") throw new UsageError(`option '${label(option)}' needs a value, got ""`);
  const key = optionKey(option.flag);
  let value: unknown = raw;
  if (raw !== true && option.parse) {
    try {
      value = option.parse(raw);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`option '${label(option)}': ${error.message}`);
    }
  }
  parsed[key] = option.repeat ? [...(parsed[key] as unknown[] ?? []), value] : value;
}

/** A word that reads as an option: a dash and more (a lone `-` is an operand by convention). */
function isOption(word: string): boolean {
  return word.startsWith("-") && word !== "-";
}

function checkOperands<D>(command: CommandSpec<D>, operands: string[], here: string[]): void {
  const arg = command.argument;
  const most = !arg ? 0 : arg.many ? Infinity : 1;
  if (arg && operands.includes("")) {
    throw new UsageError(`${here.slice(1).join(" ")}: an empty ${arg.name} argument ("")`);
  }
  if (arg && !arg.optional && !operands.length) {
    throw new UsageError(
      `${here.slice(1).join(" ")} needs ${
        arg.many ? "at least one" : "a"
      } ${arg.name} (${arg.help})`,
    );
  }
  if (operands.length > most) {
    const extra = operands.slice(most).map((o) => `"${o}"`).join(" ");
    throw new UsageError(
      `${here.slice(1).join(" ")} takes ${
        most === 0 ? "no arguments" : `one ${arg?.name}`
      }, got ${extra}`,
    );
  }
}

/** Other tools' flags for what cm calls otherwise: Puppet's --noop, Chef's --why-run. */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  "--noop": "--check",
  "--why-run": "--check",
  "--dry-run": "--check",
};

/**
 * `unknown option '--x'; did you mean '--y'? (... --help lists them)`, or
 * `unknown command ...` for a word that is not an option. Another tool's flag
 * (`--noop`) suggests cm's where the command has it.
 */
export function unknown(word: string, known: string[], see: string): string {
  const foreign = FOREIGN_OPTIONS[word];
  const near = foreign && known.includes(foreign) ? foreign : didYouMean(word, known);
  const kind = isOption(word) ? "option" : "command";
  return `unknown ${kind} '${word}'${near ? `; did you mean '${near}'?` : ""} ${see}`;
}

/** `-n, --limit <count>`: both names, since the user may have typed either. */
function label(option: OptionSpec): string {
  const names = option.short ? `${option.short}, ${option.flag}` : option.flag;
  return option.value ? `${names} <${option.value}>` : names;
}

// ---------------------------------------------------------------- help

/** Help text wraps its descriptions at this column (commander's default without a terminal). */
const WIDTH = 80;

/** The `--help` text of `command`, reached through `path` (e.g. `["cm"]`). */
export function helpText<D>(command: CommandSpec<D>, path: string[] = []): string {
  const name = [...path, command.name].join(" ");
  const lines = [`Usage: ${name} ${usageTail(command)}`.trimEnd(), "", command.summary, ""];
  const arg = command.argument;
  if (arg) lines.push("Arguments:", ...rows([[arg.name, arg.help]]), "");
  const options = [...(command.options ?? []), HELP];
  lines.push("Options:", ...rows(options.map((o) => [optionLabel(o), optionHelp(o)])));
  if (command.subcommands) {
    const subs = command.subcommands.map((s) => [`${s.name} ${usageTail(s)}`.trim(), s.summary]);
    lines.push("", "Commands:", ...rows(subs));
  }
  return lines.join("\n") + "\n" + (command.epilog ?? "");
}

/** `[options] <cookbook...>`, `[command]` or `[options] [run-id]`. */
export function usageTail<D>(command: CommandSpec<D>): string {
  if (command.subcommands) return "[command]";
  const arg = command.argument;
  const operand = !arg
    ? ""
    : arg.optional
    ? `[${arg.name}${arg.many ? "..." : ""}]`
    : `<${arg.name}${arg.many ? "..." : ""}>`;
  return `${command.options?.length ? "[options] " : ""}${operand}`.trim();
}

/** `-q, --state-dir <dir>`: how help shows an option. */
export function optionLabel(option: OptionSpec): string {
  const long = option.value ? `${option.flag} <${option.value}>` : option.flag;
  return option.short ? `${option.short}, ${long}` : long;
}

/** An option's help with its default, if it has one. */
export function optionHelp(option: OptionSpec): string {
  const shown = option.default === undefined ? "" : ` (default: ${String(option.default)})`;
  return option.help + shown;
}

/** Two columns, the second wrapped at {@link WIDTH}. */
export function rows(pairs: string[][]): string[] {
  const left = Math.max(...pairs.map(([l]) => l.length)) + 2;
  return pairs.flatMap(([l, r]) => {
    const wrapped = wrap(r, Math.max(WIDTH - left - 2, 20));
    return wrapped.map((line, i) => `  ${(i ? "" : l).padEnd(left)}${line}`.trimEnd());
  });
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

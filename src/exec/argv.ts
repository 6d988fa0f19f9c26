/**
 * Shell-like word splitting without expansion, for `command:` strings,
 * guards and `validate:`; and the reverse, quoting an argv for messages.
 *
 * @module
 */

/** Why text with a NUL byte cannot be a process argument (for schema and spec checks). */
export const NO_NUL = "expected no NUL byte (a process argument cannot hold one)";

/** Characters that start shell syntax cm will not imitate outside quotes. */
const OPERATORS = new Set(["|", "&", ";", "<", ">", "(", ")", "$", "`"]);

/** Why a text cannot be split without a shell. */
export interface SplitError {
  /** The reason, quoting the text. */
  error: string;
  /** The same reason without the text, for commands that are secret. */
  reason: string;
}

/**
 * Splits `text` into words the way /bin/sh would, without any expansion:
 * single quotes keep everything literally, double quotes keep everything but
 * `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes the next
 * character, and `''` is an empty argument.
 *
 * Text a shell would treat differently (pipes, redirections, `;`, `&`,
 * `$var`, `` `cmd` ``, `(`, globs `*` `?` `[..]` outside quotes, a `#`
 * comment, a leading `~`, several lines)
 * is refused with a message suggesting `shell: true`, so that a command never
 * silently means something other than what it would in a terminal.
 */
export function splitCommand(text: string): string[] | SplitError {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  const fail = (reason: string, error: string): SplitError => ({ error, reason });
  const unterminated = (what: string) => fail(what, `${what} in ${JSON.stringify(text)}`);
  const refuse = (what: string): SplitError => {
    const reason = `${what} needs a shell: use "shell: true" or quote it`;
    return fail(reason, `${reason} (command: ${JSON.stringify(text)})`);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "\n" || c === "\r") {
      // A trailing newline (YAML block scalars end with one) is only whitespace.
      if (text.slice(i).trim() !== "") return refuse("a command on several lines");
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return unterminated("unterminated single quote");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let closed = false;
      for (i++; i < text.length; i++) {
        const d = text[i];
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) {
          if (text[i + 1] !== "\n") word += text[i + 1];
          i++;
        } else if (d === "$" || d === "`") {
          return refuse(`"${d}" inside double quotes (expansion)`);
        } else {
          word += d;
        }
      }
      if (!closed) return unterminated("unterminated double quote");
    } else if (c === "\\") {
      if (i + 1 >= text.length) return unterminated("trailing backslash");
      // Backslash-newline is a line continuation: both disappear.
      if (text[i + 1] !== "\n") {
        word += text[i + 1];
        inWord = true;
      }
      i++;
    } else if (OPERATORS.has(c)) {
      return refuse(`"${c}"`);
    } else if (!inWord && c === "#") {
      return refuse('a "#" comment');
    } else if (!inWord && c === "~") {
      return refuse('a "~" home directory');
    } else if (c === "*" || c === "?" || (c === "[" && /\S/.test(text[i + 1] ?? " "))) {
      // A glob run without a shell would be one literal word: "rm /tmp/*.tmp" would remove nothing.
      return refuse(`the glob "${c}"`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) {
    return fail("expected a non-empty command", "expected a non-empty command");
  }
  return words;
}

/** Quotes one argument for display so that pasting it into a shell gives it back. */
export function quoteArg(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one line a person could paste into a shell. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

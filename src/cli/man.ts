/**
 * cm(1): the manual page, in roff with the man(7) macros, built from the
 * command tables `--help` prints, so the two cannot disagree. `cm help --man`
 * prints it; bootstrap.sh installs it as /usr/local/share/man/man1/cm.1 (the
 * systemd units name it: `Documentation=man:cm(1)`).
 *
 * @module
 */
import { DEFAULT_AUDIT_LOG } from "../monitor/audit.ts";
import { DEFAULT_STATE_DIR } from "../state/paths.ts";
import { DEFAULT_CONFIG_PATH } from "../sync/node_config.ts";
import { DEFAULT_UNIT_DIR, SERVICE_UNIT, TIMER_UNIT, WATCH_UNIT } from "../sync/timer.ts";
import { VERSION } from "../version.ts";
import type { Command } from "./_common.ts";
import { optionHelp, optionLabel, usageTail } from "./args.ts";
import { EXIT, EXIT_MEANINGS } from "./exit.ts";

/**
 * `text` safe in roff: backslashes escaped, hyphens as minus signs (they
 * are options and paths to copy), a leading `.` or `'` not read as a request.
 */
export function roff(text: string): string {
  return text.replaceAll("\\", "\\e").replaceAll("-", "\\-").replace(/^([.'])/gm, "\\&$1");
}

/** A command's section: usage, summary, options, subcommands, examples. */
function commandSection(command: Command, path: string[]): string[] {
  const name = [...path, command.name].join(" ");
  const lines = [`.SS "${roff(`${name} ${usageTail(command)}`.trim())}"`, roff(command.summary)];
  if (command.argument) {
    lines.push(".TP", `.I ${roff(command.argument.name)}`, roff(command.argument.help));
  }
  for (const option of command.options ?? []) {
    lines.push(".TP", `.B ${roff(optionLabel(option))}`, roff(optionHelp(option)));
  }
  if (command.epilog) lines.push(".PP", ".nf", roff(command.epilog.trim()), ".fi");
  for (const sub of command.subcommands ?? []) {
    lines.push(...commandSection(sub, [...path, command.name]));
  }
  return lines;
}

/** Two-column rows as tagged paragraphs. */
function tagged(pairs: [string, string][]): string[] {
  return pairs.flatMap(([tag, text]) => [".TP", `.B ${roff(tag)}`, roff(text)]);
}

/**
 * The page for `commands` (in `cm --help`'s order); `summary` is the
 * description's first paragraph. Same inputs, same bytes: no date in it.
 */
export function manPage(commands: Command[], summary: string): string {
  const exits = (Object.keys(EXIT) as (keyof typeof EXIT)[])
    .map((k): [string, string] => [String(EXIT[k]), EXIT_MEANINGS[k]]);
  return [
    `.TH CM 1 "" "cm ${VERSION}" "cm manual"`,
    ".SH NAME",
    "cm \\- converge a Debian/Ubuntu machine to YAML cookbooks",
    ".SH SYNOPSIS",
    ".B cm",
    ".I command",
    "[options] [operands]",
    ".br",
    ".B cm",
    "[\\-\\-help | \\-\\-version | help [command] | help \\-\\-man]",
    ".SH DESCRIPTION",
    roff(summary),
    ".PP",
    roff(
      "cm apply converges this machine by hand; cm sync (run by a systemd timer that cm timer " +
        "install sets up) pulls a git repository of cookbooks and applies it. Every run is " +
        "planned, applied, verified by health checks (a failed check rolls the run back) and " +
        "recorded: cm history, cm show-run, cm status and cm metrics read the records.",
    ),
    ".SH COMMANDS",
    ...commands.flatMap((c) => commandSection(c, ["cm"])),
    ".SH EXIT STATUS",
    ...tagged(exits),
    ".PP",
    roff(
      "With --detailed-exitcodes (Puppet's; apply, plan and sync): 0 nothing changed, 2 changes, " +
        "4 failures (for sync, the last good commit kept too), 6 both.",
    ),
    ".SH ENVIRONMENT",
    ...tagged([
      ["CM_STATE_DIR", `the state directory (default ${DEFAULT_STATE_DIR})`],
      ["CM_CONFIG", `the node configuration of cm sync (default ${DEFAULT_CONFIG_PATH})`],
      ["NO_COLOR", "no colours, even on a terminal"],
      ["CM_RUNTIME_DIR", "where the self-extracting cm unpacks its runtime"],
    ]),
    ".SH FILES",
    ...tagged([
      [DEFAULT_STATE_DIR, "state, run reports (runs/), snapshots, lock, repository checkout"],
      [DEFAULT_CONFIG_PATH, "the node configuration: repository, branch, interval, alerts"],
      [DEFAULT_AUDIT_LOG, "one line per change, drift, failure and rollback"],
      [
        `${DEFAULT_UNIT_DIR}/${TIMER_UNIT}`,
        `runs ${SERVICE_UNIT} (cm sync --once) every interval`,
      ],
      [`${DEFAULT_UNIT_DIR}/${WATCH_UNIT}`, "cm watch: repairs drift within seconds"],
    ]),
    ".SH SEE ALSO",
    ".BR systemd.timer (5),",
    ".BR apt\\-get (8),",
    ".BR dpkg (1),",
    ".BR git (1)",
    "",
  ].join("\n");
}

/**
 * `cm timer install` and `cm timer uninstall`: the systemd timer that runs
 * `cm sync --once` every interval.
 *
 * @module
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.ts";
import { installTimer, uninstallTimer } from "../../sync/timer.ts";
import { systemdRunning } from "../../facts/systemd.ts";
import { DEFAULT_UNIT_DIR, defaultCmPath } from "../../sync/timer.ts";
import { EXIT } from "../exit.ts";
import { type Deps, examples, seconds, stateDirOption } from "../_common.ts";
import { configOption, flagsOf, nodeConfig } from "./_sync_flags.ts";

/** Adds `cm timer` with its `install` and `uninstall` subcommands to the program. */
export function register(program: Command, deps: Deps): void {
  const timer = program.command("timer")
    .description("install or remove the systemd timer that runs cm sync --once every interval")
    .addHelpText("after", examples(["cm timer install --interval 5m", "cm timer uninstall"]));

  timer.command("install")
    .description(
      "write config-manager-sync.{service,timer}, reload systemd, enable and start the timer (idempotent)",
    )
    .addOption(configOption())
    .addOption(stateDirOption())
    .option(
      "--interval <seconds>",
      "seconds between syncs (default: interval: of the config, else 300)",
      seconds,
    )
    .option(
      "--splay <seconds>",
      "RandomizedDelaySec (default: splay: of the config, else 60)",
      seconds,
    )
    .option(
      "--cm-path <path>",
      "cm executable for ExecStart (default: this binary, or /usr/local/bin/cm under deno)",
    )
    .option("--unit-dir <dir>", "where to write the units", DEFAULT_UNIT_DIR)
    .addHelpText(
      "after",
      examples([
        "cm timer install",
        "cm timer install --interval 5m --splay 60",
        "cm timer install --cm-path /opt/cm",
      ]),
    )
    .action(async (opts) => deps.setCode(await install(deps, opts)));

  timer.command("uninstall")
    .description("stop and disable the timer, remove its units, reload systemd (idempotent)")
    .option("--unit-dir <dir>", "where the units are", DEFAULT_UNIT_DIR)
    .addHelpText("after", examples(["cm timer uninstall"]))
    .action(async (opts) => deps.setCode(await uninstall(deps, opts.unitDir)));
}

/** The options of `cm timer install`, as commander parsed them. */
interface InstallFlags {
  config?: string;
  stateDir?: string;
  interval?: number;
  splay?: number;
  cmPath?: string;
  unitDir: string;
}

async function install({ exec }: Deps, opts: InstallFlags): Promise<number> {
  const { resolveSettings, DEFAULT_CONFIG_PATH } = await nodeConfig();
  const settings = resolveSettings(exec, flagsOf(opts), { requireRepo: false });
  if (!settings.repo) {
    throw new UsageError(
      `no repository configured: the timer runs cm sync --once, which reads repo: from ${
        opts.config ?? settings.configFile ?? DEFAULT_CONFIG_PATH
      } (bootstrap.sh --repo URL writes it)`,
    );
  }
  const cmPath = opts.cmPath ?? defaultCmPath();
  if (!cmPath.startsWith("/")) {
    throw new UsageError(`--cm-path must be absolute, got "${cmPath}"`);
  }
  const syncArgs = [
    ...(opts.config ? ["--config", opts.config] : []),
    ...(opts.stateDir ? ["--state-dir", opts.stateDir] : []),
  ];
  if (opts.unitDir === DEFAULT_UNIT_DIR && !systemdRunning(exec)) {
    console.error(
      "cm: systemd is not running on this machine (no /run/systemd/system); cannot install the timer",
    );
    return EXIT.failed;
  }
  const outcome = await installTimer(
    exec,
    { cmPath, interval: settings.interval, splay: settings.splay, syncArgs },
    opts.unitDir,
  );
  for (const f of outcome.changedFiles) console.log(`wrote ${f}`);
  for (const a of outcome.actions) console.log(`ran systemctl ${a.join(" ")}`);
  if (outcome.error) {
    console.error(`cm: ${outcome.error}`);
    return EXIT.failed;
  }
  if (!outcome.changedFiles.length && !outcome.actions.length) {
    console.log("timer already installed: nothing to do");
  }
  return EXIT.ok;
}

async function uninstall({ exec }: Deps, unitDir: string): Promise<number> {
  const outcome = await uninstallTimer(exec, unitDir);
  for (const a of outcome.actions) console.log(`ran systemctl ${a.join(" ")}`);
  for (const f of outcome.changedFiles) console.log(`removed ${f}`);
  if (outcome.error) {
    console.error(`cm: ${outcome.error}`);
    return EXIT.failed;
  }
  if (!outcome.changedFiles.length) console.log("timer not installed: nothing to do");
  return EXIT.ok;
}

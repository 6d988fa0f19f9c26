/**
 * `cm timer install` and `cm timer uninstall`: the systemd timer that runs
 * `cm sync --once` every interval.
 *
 * @module
 */
import type { Executor } from "../../exec/executor.ts";
import type { OptionSpec } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { installTimer, uninstallTimer } from "../../sync/timer.ts";
import { systemdRunning } from "../../facts/systemd.ts";
import { DEFAULT_UNIT_DIR, defaultCmPath } from "../../sync/timer.ts";
import { EXIT } from "../exit.ts";
import { absolute } from "../../cookbook/cookbook.ts";
import { DEFAULT_STATE_DIR, statePaths } from "../../state/paths.ts";
import { DEFAULT_CONFIG_PATH } from "../../sync/node_config.ts";
import { resolveSettings } from "../../sync/config.ts";
import { type Command, examples, stateDirOption } from "../_common.ts";
import { CONFIG_OPTION, flagsOf } from "./_sync_flags.ts";
import { intervalOption, splayOption } from "./sync.ts";

const UNIT_DIR_OPTION: OptionSpec = {
  flag: "--unit-dir",
  value: "dir",
  help: "where the units are written",
  default: DEFAULT_UNIT_DIR,
};

const install: Command<InstallFlags> = {
  name: "install",
  summary:
    "write config-manager-sync.{service,timer}, reload systemd, enable and start the timer (idempotent)",
  options: [
    CONFIG_OPTION,
    stateDirOption(),
    intervalOption("seconds between syncs (default: interval: of the config, else 300)"),
    splayOption("RandomizedDelaySec (default: splay: of the config, else 60)"),
    {
      flag: "--cm-path",
      value: "path",
      help: "cm executable for ExecStart (default: this binary, or /usr/local/bin/cm under deno)",
    },
    UNIT_DIR_OPTION,
    {
      flag: "--watch",
      help:
        "also install and start config-manager-watch.service: cm watch repairs drift within seconds",
    },
  ],
  epilog: examples([
    "cm timer install",
    "cm timer install --watch",
    "cm timer install --interval 5m --splay 60",
    "cm timer install --cm-path /opt/cm",
  ]),
  run: (_, opts, { exec }) => installCommand(exec, opts),
};

const uninstall: Command<{ unitDir: string }> = {
  name: "uninstall",
  summary: "stop and disable the timer, remove its units, reload systemd (idempotent)",
  options: [UNIT_DIR_OPTION],
  epilog: examples(["cm timer uninstall"]),
  run: (_, opts, { exec }) => uninstallCommand(exec, opts.unitDir),
};

/** `cm timer` with its `install` and `uninstall` subcommands. */
export const command: Command = {
  name: "timer",
  summary: "install or remove the systemd timer that runs cm sync --once every interval",
  subcommands: [install, uninstall],
  epilog: examples(["cm timer install --interval 5m", "cm timer uninstall"]),
};

/** The options of `cm timer install`, as parsed. */
type InstallFlags = {
  config?: string;
  stateDir?: string;
  interval?: number;
  splay?: number;
  cmPath?: string;
  unitDir: string;
  watch?: boolean;
};

async function installCommand(exec: Executor, opts: InstallFlags): Promise<number> {
  const settings = await resolveSettings(exec, flagsOf(opts), {
    requireRepo: false,
    stateDir: opts.stateDir,
  });
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
  const syncArgs = unitArgs(settings.configFile, statePaths(opts.stateDir).dir);
  if (opts.unitDir === DEFAULT_UNIT_DIR && !systemdRunning(exec)) {
    console.error(
      "cm: systemd is not running on this machine (no /run/systemd/system); cannot install the timer",
    );
    return EXIT.failed;
  }
  const outcome = await installTimer(
    exec,
    {
      cmPath,
      interval: settings.interval,
      splay: settings.splay,
      syncArgs,
      watch: !!opts.watch,
      watchArgs: syncArgs,
    },
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

/**
 * The `--config` and `--state-dir` the units pass on: the ones this command
 * used, CM_CONFIG and CM_STATE_DIR included (the units have no environment),
 * made absolute (systemd runs them from /); none for the defaults.
 */
export function unitArgs(configFile: string | undefined, stateDir: string): string[] {
  return [
    ...(configFile && configFile !== DEFAULT_CONFIG_PATH ? ["--config", absolute(configFile)] : []),
    ...(stateDir !== DEFAULT_STATE_DIR ? ["--state-dir", absolute(stateDir)] : []),
  ];
}

async function uninstallCommand(exec: Executor, unitDir: string): Promise<number> {
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

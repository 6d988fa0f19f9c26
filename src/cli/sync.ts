/**
 * `cm sync`, `cm status`, `cm timer install`, `cm timer uninstall`.
 *
 * @module
 */
import { type Command, Option } from "commander";
import type { Executor } from "../exec/executor.ts";
import { EXIT, UsageError } from "./exit.ts";
import { terminalPrinter } from "./output.ts";
import { examples, seconds, stateDirOption, verbosity } from "./_common.ts";
import type { SyncFlags } from "../sync/config.ts";
import { syncLoop } from "../sync/loop.ts";
import { installTimer, systemdRunning, timerMismatch, uninstallTimer } from "../sync/timer.ts";
import { DEFAULT_UNIT_DIR, defaultCmPath } from "../sync/timer.ts";
import { statusLines } from "../sync/status.ts";

/** The node configuration reader, loaded with its YAML parser only when a command needs it. */
const config = () => import("../sync/config.ts");
import { statePaths } from "../state/paths.ts";
import { readState } from "../state/store.ts";
import { CookbookError } from "../cookbook/errors.ts";
import { LockTimeoutError } from "../state/lock.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

// deno-lint-ignore no-explicit-any
function flagsOf(opts: any): SyncFlags {
  return {
    config: opts.config,
    repo: opts.repo,
    branch: opts.branch,
    cookbook: opts.cookbook,
    interval: opts.interval,
    splay: opts.splay,
    credentials: opts.credentials,
    verifySignatures: opts.verifySignatures,
    trustedKeys: opts.trustedKeys,
  };
}

/** Adds sync, status and timer to the program; `setCode` receives each command's exit code. */
export function registerSyncCommands(
  program: Command,
  exec: Executor,
  setCode: (code: number) => void,
): void {
  const configOption = () =>
    new Option(
      "--config <file>",
      "node configuration (env CM_CONFIG; default /etc/config-manager/config.yaml)",
    );

  program.command("sync")
    .description(
      "pull the cookbook repository and converge this node; keeps the last good commit when the new one is bad",
    )
    .option(
      "--once",
      "sync once and exit (what the systemd timer runs); default: loop every --interval",
    )
    .option("--repo <url>", "git URL of the cookbook repository (overrides repo:)")
    .option("--branch <name>", "branch to follow (overrides branch:; default main)")
    .option(
      "--cookbook <path>",
      "cookbook inside the repository, repeatable (default nodes/<hostname>.yaml, else default.yaml)",
      collect,
    )
    .addOption(configOption())
    .addOption(stateDirOption())
    .option(
      "--only-if-changed",
      "apply only when the commit changed (default: converge on every run)",
    )
    .option(
      "--interval <seconds>",
      "seconds between syncs in the loop (default 300; 30s, 5m, 1h)",
      seconds,
    )
    .option(
      "--splay <seconds>",
      "random delay up to this before each sync in the loop (default 60)",
      seconds,
    )
    .option("--credentials <file>", "root-only file with an SSH private key or an HTTPS token")
    .option(
      "--verify-signatures",
      "refuse commits whose signature does not verify against --trusted-keys",
    )
    .option("--trusted-keys <file>", "SSH allowed signers file or GPG keyring")
    .option("--lock-timeout <seconds>", "wait this long for another run's lock", seconds, 300)
    .option("--json", "print each apply report as JSON on stdout")
    .option("-q, --quiet", "print only failures and sync notices")
    .option("-v, --verbose", "also print unchanged resources")
    .addHelpText(
      "after",
      `
Exit codes: 0 synced and converged; 1 a resource failed; 2 usage, configuration
or credentials error; 3 another run holds the lock; 4 the fetch failed or the
new commit was refused (bad signature, invalid cookbooks): the last good commit
was kept and converged again.
${
        examples([
          "cm sync --once",
          "cm sync --once --repo https://git.example.com/ops/cookbooks.git --branch main --cookbook web.yaml",
          "cm sync --once --repo file:///srv/cookbooks.git --state-dir /tmp/cm --only-if-changed",
          "cm sync --interval 5m --splay 60   # foreground loop",
        ])
      }`,
    )
    .action(async (opts) => {
      const settings = (await config()).resolveSettings(exec, flagsOf(opts));
      const { syncOnce } = await import("../sync/sync.ts");
      const printer = terminalPrinter(verbosity(opts), false);
      const mismatch = opts.interval === undefined && opts.splay === undefined &&
        timerMismatch(exec, settings);
      if (mismatch) printer.err(`warning: ${mismatch}`);
      const once = () =>
        syncOnce(settings, exec, printer, {
          stateDir: opts.stateDir,
          onlyIfChanged: !!opts.onlyIfChanged,
          lockTimeout: opts.lockTimeout,
          json: !!opts.json,
        }).then((o) => o.code);
      if (opts.once) {
        setCode(await once());
        return;
      }
      printer.err(
        `sync: every ${settings.interval} s with a random delay up to ${settings.splay} s (Ctrl-C stops)`,
      );
      setCode(
        await syncLoop(once, settings.interval, settings.splay, {
          onError: (error) => {
            if (
              error instanceof CookbookError || error instanceof UsageError ||
              error instanceof LockTimeoutError
            ) {
              printer.err(`sync: ${error.message}`);
            } else throw error;
          },
        }),
      );
    });

  program.command("status")
    .description("show the current commit, the last sync (time, result, why) and the last run")
    .addOption(stateDirOption())
    .option("--json", "print the state's sync and last-run records as JSON")
    .addHelpText("after", examples(["cm status", "cm status --json --state-dir /tmp/cm"]))
    .action((opts) => {
      const state = readState(exec, statePaths(opts.stateDir));
      if (opts.json) {
        console.log(
          JSON.stringify({ sync: state.sync ?? null, lastRun: state.lastRun ?? null }, null, 1),
        );
      } else for (const line of statusLines(state)) console.log(line);
      setCode(EXIT.ok);
    });

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
    .action(async (opts) => {
      const { resolveSettings, DEFAULT_CONFIG_PATH } = await config();
      const settings = resolveSettings(exec, flagsOf(opts), false);
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
        setCode(EXIT.failed);
        return;
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
        setCode(EXIT.failed);
        return;
      }
      if (!outcome.changedFiles.length && !outcome.actions.length) {
        console.log("timer already installed: nothing to do");
      }
      setCode(EXIT.ok);
    });

  timer.command("uninstall")
    .description("stop and disable the timer, remove its units, reload systemd (idempotent)")
    .option("--unit-dir <dir>", "where the units are", DEFAULT_UNIT_DIR)
    .addHelpText("after", examples(["cm timer uninstall"]))
    .action(async (opts) => {
      const outcome = await uninstallTimer(exec, opts.unitDir);
      for (const a of outcome.actions) console.log(`ran systemctl ${a.join(" ")}`);
      for (const f of outcome.changedFiles) console.log(`removed ${f}`);
      if (outcome.error) {
        console.error(`cm: ${outcome.error}`);
        setCode(EXIT.failed);
        return;
      }
      if (!outcome.changedFiles.length) console.log("timer not installed: nothing to do");
      setCode(EXIT.ok);
    });
}

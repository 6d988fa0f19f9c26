/**
 * Fleet simulation: N nodes (default 100, `--full` 1000), each with its own
 * state and repo directories, run `cm sync --once` against one `git daemon`
 * on 127.0.0.1. Measures the git server's CPU seconds per node sync (from
 * /proc/<pid>/stat of the daemon, whose reaped children's time lands in its
 * cutime/cstime), the time until every node applied a new commit, and
 * failures; then extrapolates to 1000 nodes on a 5-minute interval.
 *
 * Real nodes sync when their timer fires: every `interval` plus a random
 * delay up to `splay`, so a commit pushed at t0 reaches node i at
 * t0 + phase_i + splay_i with phase_i uniform in [0, interval): every node
 * within interval + splay. Two cores cannot run 1000 cm processes at once, so
 * the bench draws those start offsets from a window scaled down to
 * `--window` seconds and runs them with at most `--concurrency` at once; a
 * node that finds every slot busy starts late, and the lag is reported.
 *
 *   deno run -A bench/fleet.ts [--nodes 100] [--full] [--concurrency 4] [--window 20]
 *
 * @module
 */
import { cmCommand } from "../scripts/cm_command.ts";
import { fileCookbook, GitDaemon, Remote } from "../tests/sync_git.ts";
import { percentile, runSchedule, treeCpuSeconds } from "./fleet/_proc.ts";

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const full = Deno.args.includes("--full");
const N = flag("--nodes", full ? 1000 : 100);
const CONCURRENCY = flag("--concurrency", 4);
const WINDOW = flag("--window", full ? 120 : 20);
const REAL_INTERVAL = 300;
const REAL_SPLAY = 60;

interface NodeRun {
  code: number;
  wallMs: number;
  stderr: string;
}

const root = await Deno.makeTempDir({ prefix: "cm-fleet-" });
const remote = await Remote.create(`${root}/git`);
const daemon = await GitDaemon.start(`${root}/git`);
const url = daemon.url(remote.bare);
const config = `${root}/config.yaml`;
await Deno.writeTextFile(config, `repo: ${url}\n`);
const nodeDir = (i: number) => `${root}/nodes/n${String(i).padStart(4, "0")}`;

function cookbooks(version: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) {
    files[`nodes/n${i}.yaml`] = fileCookbook(`${nodeDir(i)}/motd`, `${version}\n`, `n${i}`);
  }
  return files;
}

async function syncNode(i: number): Promise<NodeRun> {
  const [bin, ...args] = cmCommand([
    "sync",
    "--once",
    "--quiet",
    "--state-dir",
    `${nodeDir(i)}/state`,
    "--cookbook",
    `nodes/n${i}.yaml`,
  ]);
  const started = performance.now();
  const out = await new Deno.Command(bin, {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/root", CM_CONFIG: config },
    stdout: "null",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    wallMs: performance.now() - started,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

interface Phase {
  name: string;
  syncs: number;
  failures: number;
  daemonCpu: number;
  wall: number;
  lastAppliedAt: number;
  maxLag: number;
  p50WallMs: number;
  firstError?: string;
}

async function phase(
  name: string,
  window: number,
  check?: (i: number) => Promise<boolean>,
): Promise<Phase> {
  const offsets = Array.from({ length: N }, () => Math.random() * window);
  const cpu0 = treeCpuSeconds(daemon.pid!);
  const t0 = performance.now();
  const runs = await runSchedule(offsets, CONCURRENCY, syncNode);
  const wall = (performance.now() - t0) / 1000;
  const daemonCpu = treeCpuSeconds(daemon.pid!) - cpu0;
  let failures = 0;
  let firstError: string | undefined;
  for (let i = 0; i < N; i++) {
    const ok = runs[i].value.code === 0 && (!check || await check(i));
    if (!ok) {
      failures++;
      firstError ??= `node ${i}: exit ${runs[i].value.code}: ${
        runs[i].value.stderr.trim().split("\n").at(-1)
      }`;
    }
  }
  return {
    name,
    syncs: N,
    failures,
    daemonCpu,
    wall,
    lastAppliedAt: Math.max(...runs.map((r) => r.finishedAt)),
    maxLag: Math.max(...runs.map((r) => r.startedAt - r.scheduledAt)),
    p50WallMs: percentile(runs.map((r) => r.value.wallMs), 50),
    firstError,
  };
}

const contentIs = (version: string) => async (i: number) =>
  (await Deno.readTextFile(`${nodeDir(i)}/motd`).catch(() => "")) === `${version}\n`;

try {
  for (let i = 0; i < N; i++) await Deno.mkdir(nodeDir(i), { recursive: true });
  await remote.commit(cookbooks("v1"), "v1");
  console.log(
    `fleet: ${N} nodes, concurrency ${CONCURRENCY}, start window ${WINDOW} s, git daemon pid ${daemon.pid} at ${url}`,
  );
  const phases: Phase[] = [];
  phases.push(await phase("first sync (clone)", WINDOW, contentIs("v1")));
  phases.push(await phase("no new commit (converge)", WINDOW, contentIs("v1")));
  await remote.commit(cookbooks("v2"), "v2");
  phases.push(await phase("new commit pushed", WINDOW, contentIs("v2")));

  console.log(
    "\nphase                       syncs  failed  git CPU s  CPU ms/sync  all applied after  max start lag  p50 cm sync",
  );
  for (const p of phases) {
    console.log(
      `${p.name.padEnd(27)} ${String(p.syncs).padStart(5)}  ${String(p.failures).padStart(6)}  ${
        p.daemonCpu.toFixed(2).padStart(9)
      }  ${(p.daemonCpu / p.syncs * 1000).toFixed(2).padStart(11)}  ${
        (p.lastAppliedAt.toFixed(1) + " s").padStart(17)
      }  ${(p.maxLag.toFixed(1) + " s").padStart(13)}  ${
        (p.p50WallMs / 1000).toFixed(2).padStart(9)
      } s`,
    );
    if (p.firstError) console.log(`  first failure: ${p.firstError}`);
  }
  const steady = phases[1].daemonCpu / N;
  const change = phases[2].daemonCpu / N;
  const perInterval = (perSync: number) => (1000 * perSync) / REAL_INTERVAL * 100;
  console.log(`
Extrapolation to 1000 nodes, interval ${REAL_INTERVAL} s, splay ${REAL_SPLAY} s:
  git server load, no new commit: 1000 × ${(steady * 1000).toFixed(2)} ms / ${REAL_INTERVAL} s = ${
    perInterval(steady).toFixed(2)
  }% of one core
  git server load, a new commit every interval: 1000 × ${
    (change * 1000).toFixed(2)
  } ms / ${REAL_INTERVAL} s = ${perInterval(change).toFixed(2)}% of one core (target < 10%)
  time to apply a new commit on every node: at most interval + splay + one cm sync = ${REAL_INTERVAL} + ${REAL_SPLAY} + ${
    (phases[2].p50WallMs / 1000).toFixed(1)
  } s
  (the timer fires each node every ${REAL_INTERVAL} s from its own boot, RandomizedDelaySec=${REAL_SPLAY}: phase uniform
  in [0, ${REAL_INTERVAL}) + delay uniform in [0, ${REAL_SPLAY}); here the ${N} starts were spread over ${WINDOW} s and
  every node had applied the new commit ${phases[2].lastAppliedAt.toFixed(1)} s after the push)
  failures: ${phases.reduce((n, p) => n + p.failures, 0)} of ${
    phases.reduce((n, p) => n + p.syncs, 0)
  } syncs`);
  if (phases.some((p) => p.failures)) Deno.exitCode = 1;
} finally {
  await daemon.stop();
  await Deno.remove(root, { recursive: true });
}

import assert from "node:assert/strict";
import {
  AlertConfigError,
  ConfigError,
  CookbookError,
  CredentialsError,
  DisabledError,
  LockTimeoutError,
  StateError,
  UsageError,
} from "../errors.ts";
import type { RunReport } from "../engine/report.ts";
import type { SyncOutcome } from "../sync/sync.ts";
import { errorLines, EXIT, exitCodeOf, exitStyle, reportExitCode, syncExitCode } from "./exit.ts";
import { GitError } from "../sync/git.ts";

const problem = { at: { file: "c.yaml", line: 2, col: 1 }, path: "branchh", message: "unknown" };

Deno.test("exitCodeOf maps each expected error and calls anything else a bug", () => {
  for (const error of [new CookbookError([problem]), new ConfigError([problem])]) {
    assert.equal(exitCodeOf(error), EXIT.usage);
  }
  assert.equal(exitCodeOf(new CredentialsError("x")), EXIT.usage);
  assert.equal(exitCodeOf(new StateError("x")), EXIT.usage);
  assert.equal(exitCodeOf(new AlertConfigError("x")), EXIT.usage);
  assert.equal(exitCodeOf(new Deno.errors.PermissionDenied("x")), EXIT.usage);
  assert.equal(exitCodeOf(new LockTimeoutError("/l", "PID 1", 10)), EXIT.locked);
  const git = new GitError("move the checkout to abc1234", {
    code: 128,
    stdout: "",
    stderr: "fatal: unable to write new index file\n",
  });
  assert.equal(exitCodeOf(git), EXIT.syncKept, "a git failure sync could not record");
  assert.deepEqual(errorLines(git), [
    "cm: move the checkout to abc1234: git exited 128: fatal: unable to write new index file",
  ]);
  assert.equal(exitCodeOf(new TypeError("x")), EXIT.bug);
  assert.equal(exitCodeOf("thrown text"), EXIT.bug);
  assert.equal(exitCodeOf(new UsageError("x"), { detailed: true }), EXIT.failed);
  assert.equal(exitCodeOf(new LockTimeoutError("/l", "?", 1), { detailed: true }), EXIT.locked);
  // Distinct in both styles: neither a plain code nor one of Puppet's 0/1/2/4/6.
  assert.equal(exitCodeOf(new DisabledError("x")), 7);
  assert.equal(exitCodeOf(new DisabledError("x"), { detailed: true }), 7);
});

Deno.test("exitStyle: --detailed-exitcodes of apply, plan or sync, not another command's or an operand", () => {
  assert.deepEqual(exitStyle(["apply", "--detailed-exitcodes", "web.yaml"]), { detailed: true });
  assert.deepEqual(exitStyle(["sync", "--once", "--detailed-exitcodes"]), { detailed: true });
  assert.deepEqual(exitStyle(["plan", "web.yaml", "--detailed-exitcodes"]), { detailed: true });
  assert.deepEqual(exitStyle(["apply", "--", "--detailed-exitcodes"]), { detailed: false });
  assert.deepEqual(exitStyle(["history", "--detailed-exitcodes"]), { detailed: false });
});

Deno.test("errorLines names what the problems are in: cookbooks or the node configuration", () => {
  assert.deepEqual(errorLines(new ConfigError([problem])), [
    "c.yaml:2:1: branchh: unknown",
    "cm: 1 problem(s) in the node configuration; nothing was applied",
  ]);
  assert.equal(
    errorLines(new CookbookError([problem, problem])).at(-1),
    "cm: 2 problem(s) in the cookbooks; nothing was applied",
  );
  assert.deepEqual(errorLines(new UsageError("bad flag")), ["cm: bad flag"]);
});

Deno.test("errorLines keeps control characters from the terminal and a line break from forging a line", () => {
  const lines = errorLines(new UsageError('cannot read "/tmp/a\x1b]0;owned\x07\ncm: fake line"'));
  assert.deepEqual(lines, ['cm: cannot read "/tmp/a]0;owned', '    cm: fake line"']);
});

function report(changed: number, failed: number, refreshed = 0): RunReport {
  return {
    id: "r",
    mode: "apply",
    startedAt: "",
    durationMs: 0,
    cookbooks: [],
    resources: [],
    handlers: Array.from({ length: refreshed }, () => ({
      id: "service[x]",
      action: "restart" as const,
      triggeredBy: [],
      status: "changed" as const,
      durationMs: 0,
    })),
    totals: { changed, failed, unchanged: 0, skipped: 0 },
    result: failed ? "failed" : "ok",
  };
}

Deno.test("reportExitCode: 0 or 1, Puppet's 0/2/4/6 when detailed, a signal's code first", () => {
  assert.equal(reportExitCode(report(3, 0)), EXIT.ok);
  assert.equal(reportExitCode(report(3, 1)), EXIT.failed);
  const detailed = { detailed: true };
  assert.equal(reportExitCode(report(0, 0), detailed), 0);
  assert.equal(reportExitCode(report(0, 0, 1), detailed), 2);
  assert.equal(reportExitCode(report(0, 1), detailed), 4);
  assert.equal(reportExitCode(report(1, 1), detailed), 6);
  assert.equal(reportExitCode(report(1, 1), detailed, EXIT.terminated), EXIT.terminated);
});

Deno.test("syncExitCode: 4 when the last good commit was kept, else the apply's", () => {
  const record = { repo: "r", branch: "main", lastSyncAt: "", result: "kept" as const };
  const outcome = (o: Omit<SyncOutcome, "record">): SyncOutcome => ({ ...o, record });
  assert.equal(syncExitCode(outcome({ status: "kept", report: report(0, 1) })), EXIT.syncKept);
  assert.equal(syncExitCode(outcome({ status: "kept" }), {}, EXIT.interrupted), EXIT.syncKept);
  assert.equal(syncExitCode(outcome({ status: "failed", report: report(0, 1) })), EXIT.failed);
  assert.equal(syncExitCode(outcome({ status: "failed" })), EXIT.syncKept);
  assert.equal(syncExitCode(outcome({ status: "skipped" })), EXIT.ok);
  assert.equal(
    syncExitCode(outcome({ status: "applied", report: report(1, 0) }), {}, EXIT.interrupted),
    EXIT.interrupted,
  );
});

Deno.test("syncExitCode with --detailed-exitcodes: the apply's 0/2/4/6; the last good commit kept is a failure", () => {
  const record = { repo: "r", branch: "main", lastSyncAt: "", result: "kept" as const };
  const code = (o: Omit<SyncOutcome, "record">) =>
    syncExitCode({ ...o, record }, { detailed: true });
  assert.equal(code({ status: "converged", report: report(0, 0) }), 0);
  assert.equal(code({ status: "applied", report: report(2, 0) }), 2);
  assert.equal(code({ status: "applied", report: report(2, 1) }), 6);
  assert.equal(code({ status: "failed", report: report(0, 1) }), 4);
  assert.equal(code({ status: "skipped" }), 0);
  assert.equal(code({ status: "kept" }), 4);
  assert.equal(code({ status: "kept", report: report(0, 0) }), 4);
  assert.equal(code({ status: "kept", report: report(1, 0) }), 6);
  assert.equal(code({ status: "failed" }), 4);
});

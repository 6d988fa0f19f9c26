import assert from "node:assert/strict";
import type { HandlerResult, RunReport } from "../engine/report.ts";
import { summary } from "./output.ts";

function handler(status: HandlerResult["status"]): HandlerResult {
  return { id: "service[nginx]", action: "reload", triggeredBy: [], status, durationMs: 0 };
}

function report(handlers: HandlerResult[], failed: number): RunReport {
  return {
    id: "20261130T224513Z-6863",
    mode: "apply",
    startedAt: "2026-11-30T22:45:13.000Z",
    durationMs: 40,
    cookbooks: ["/root/k.yaml"],
    resources: [],
    handlers,
    totals: { changed: 1, unchanged: 0, failed, skipped: 0 },
    result: failed ? "failed" : "ok",
  };
}

Deno.test("summary counts a failed restart or reload as failed, not as refreshed", () => {
  assert.equal(
    summary(report([handler("failed"), handler("changed")], 1)),
    "apply: 1 changed, 0 unchanged, 1 failed, 0 skipped, 1 refreshed in 0.04 s (run 20261130T224513Z-6863)",
  );
  assert.match(summary(report([handler("failed")], 1)), /1 failed, 0 skipped, 0 refreshed in/);
});

import assert from "node:assert/strict";
import { unhealthyReport } from "../engine/report_fixtures.ts";
import type { HandlerResult } from "../engine/report.ts";
import { changedSomething, serviceFailures } from "./verify.ts";

const handler = (id: string, action: HandlerResult["action"], error?: string): HandlerResult => ({
  id,
  action,
  triggeredBy: ["file[/etc/x]"],
  status: error ? "failed" : "changed",
  ...(error ? { error } : {}),
  durationMs: 1,
});

Deno.test("health fails by itself for services that did not come up, not for a failed run_on command", () => {
  const report = {
    ...unhealthyReport(null),
    handlers: [
      handler("service[nginx]", "reload", "Job failed\nsee journalctl"),
      handler("command[migrate]", "run", "exited 1"),
      handler("service[php8.2-fpm]", "restart"),
    ],
  };
  assert.deepEqual(serviceFailures(report), [
    "service[php8.2-fpm] failed: restart failed",
    "reload of service[nginx] failed: Job failed",
  ]);
  assert.deepEqual(
    serviceFailures({ ...report, resources: [], handlers: [report.handlers[1]] }),
    [],
  );
  assert.equal(changedSomething(report), true);
  const quiet = { ...report, handlers: [], totals: { ...report.totals, changed: 0 } };
  assert.equal(changedSomething(quiet), false);
});

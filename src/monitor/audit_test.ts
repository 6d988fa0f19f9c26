import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import type { ResourceResult, RunReport } from "../engine/report.ts";
import {
  appendAudit,
  auditEntries,
  auditLines,
  auditMessage,
  journalAudit,
  journalFields,
} from "./audit.ts";

function resource(
  id: string,
  status: ResourceResult["status"],
  changes: ResourceResult["changes"],
  error?: string,
) {
  return {
    id,
    kind: id.slice(0, id.indexOf("[")),
    status,
    changes,
    durationMs: 1,
    at: "w.yaml:1:1",
    error,
  };
}

const REPORT: RunReport = {
  id: "20261130T120000Z-42",
  mode: "apply",
  startedAt: "2026-11-30T12:00:00.000Z",
  durationMs: 900,
  cookbooks: ["web.yaml"],
  commit: "abc123",
  resources: [
    resource("file[/etc/nginx/nginx.conf]", "changed", [{
      field: "mode",
      before: "0644",
      after: "0600",
    }]),
    resource("file[/etc/app/db.conf]", "changed", [{
      field: "content",
      before: "pw=hunter22",
      after: "pw=s3cr3t99",
    }]),
    resource("package[nginx]", "unchanged", []),
    resource("file[/etc/motd]", "changed", [
      { field: "content", before: "x".repeat(500), after: "token abcd1234 here" },
      { field: "api_key", before: "k1", after: "k2" },
    ]),
    resource("service[php8.2-fpm]", "failed", [{
      field: "state",
      before: "stopped",
      after: "started",
    }], "start failed"),
  ],
  handlers: [],
  totals: { changed: 3, unchanged: 1, failed: 1, skipped: 0 },
  result: "failed",
};

const OPTIONS = {
  sensitive: new Set(["file[/etc/app/db.conf]"]),
  drifted: new Set(["file[/etc/nginx/nginx.conf]"]),
  secrets: ["abcd1234"],
};

Deno.test("audit entries cover changed and failed resources, with sensitive values redacted", () => {
  const entries = auditEntries(REPORT, OPTIONS);
  assert.deepEqual(entries.map((e) => [e.resource, e.event]), [
    ["file[/etc/nginx/nginx.conf]", "drift"],
    ["file[/etc/app/db.conf]", "change"],
    ["file[/etc/motd]", "change"],
    ["service[php8.2-fpm]", "failure"],
  ]);
  assert.deepEqual(entries[0], {
    at: REPORT.startedAt,
    runId: REPORT.id,
    commit: "abc123",
    event: "drift",
    resource: "file[/etc/nginx/nginx.conf]",
    changes: [{ field: "mode", from: "0644", to: "0600" }],
  });
  assert.deepEqual(entries[1].changes, [{
    field: "content",
    from: "(redacted)",
    to: "(redacted)",
  }]);
  const motd = entries[2].changes;
  assert.equal(motd[0].from.length, 120);
  assert.equal(motd[0].to, "token *** here");
  assert.deepEqual([motd[1].from, motd[1].to], ["(redacted)", "(redacted)"]);
  assert.equal(entries[3].error, "start failed");
  const text = [...auditLines(entries)].join("");
  assert.doesNotMatch(text, /hunter22|s3cr3t99|abcd1234/);
  assert.deepEqual(
    text.trimEnd().split("\n").map((l) => JSON.parse(l).resource),
    entries.map((e) => e.resource),
  );
  assert.deepEqual(auditEntries({ ...REPORT, mode: "plan" }), []);
  assert.ok(
    auditEntries(REPORT, { rollback: true }).slice(0, 3).every((e) => e.event === "rollback"),
  );
});

Deno.test("audit messages and journal fields stay on one line with a priority by event", () => {
  const [drift, , , failure] = auditEntries(REPORT, OPTIONS);
  assert.equal(
    auditMessage(drift),
    "file[/etc/nginx/nginx.conf] drift repaired (changed outside cm): mode 0644 → 0600",
  );
  const fields = journalFields({ ...failure, error: "start failed\nsee journal" });
  const lines = fields.trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf("="))), [
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_IDENTIFIER",
    "CM_EVENT",
    "CM_RUN_ID",
    "CM_COMMIT",
    "CM_RESOURCE",
    "CM_AUDIT",
  ]);
  assert.ok(lines.includes("PRIORITY=3"));
  assert.ok(
    lines.includes(
      "MESSAGE=service[php8.2-fpm] failed: state stopped → started: start failed see journal",
    ),
  );
  assert.match(journalFields(drift), /^PRIORITY=4$/m);
});

Deno.test("the audit log is appended to with O_APPEND, created 0640, never rewritten", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cm-audit-" });
  const path = `${dir}/log/audit.log`;
  const exec = new RealExecutor();
  try {
    const entries = auditEntries(REPORT, OPTIONS);
    assert.equal(appendAudit(exec, entries.slice(0, 2), path), null);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
    assert.equal(Deno.statSync(`${dir}/log`).mode! & 0o777, 0o750);
    // logrotate moved the file away: the next append starts a new one.
    Deno.renameSync(path, `${path}.1`);
    assert.equal(appendAudit(exec, entries.slice(2, 3), path), null);
    assert.equal(appendAudit(exec, entries.slice(3), path), null);
    assert.equal(appendAudit(exec, [], path), null);
    const read = (p: string) =>
      Deno.readTextFileSync(p).trimEnd().split("\n").map((l) => JSON.parse(l).resource);
    assert.deepEqual(read(`${path}.1`), entries.slice(0, 2).map((e) => e.resource));
    assert.deepEqual(read(path), entries.slice(2).map((e) => e.resource));
    Deno.chmodSync(path, 0o600);
    appendAudit(exec, entries.slice(0, 1), path);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600, "an existing file keeps its mode");
    assert.match(
      appendAudit(exec, entries, `${path}/not-a-dir`) ?? "",
      /^cannot append to audit log/,
    );
    // A link where the log should be is refused, and what it points at left alone.
    Deno.writeTextFileSync(`${dir}/victim`, "keep\n");
    Deno.symlinkSync(`${dir}/victim`, `${dir}/log/linked.log`);
    assert.match(
      appendAudit(exec, entries, `${dir}/log/linked.log`) ?? "",
      /^cannot append to audit log ".*linked\.log": refusing to append to ".*": it is a symbolic link$/,
    );
    assert.equal(Deno.readTextFileSync(`${dir}/victim`), "keep\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("each audit entry goes to the journal through logger --journald; the first failure stops", async () => {
  const exec = new RecordingExecutor();
  const stdins: string[] = [];
  exec.on(["logger"], (_argv, options) => (stdins.push(options.stdin ?? ""), {}));
  const entries = auditEntries(REPORT, OPTIONS);
  assert.equal(await journalAudit(exec, entries), null);
  assert.deepEqual(exec.calls, entries.map(() => ["logger", "--journald"]));
  assert.deepEqual(stdins, entries.map(journalFields));
  const down = new RecordingExecutor().on(["logger"], {
    code: 1,
    stderr: "logger: socket: No such file",
  });
  assert.equal(
    await journalAudit(down, entries),
    "cannot log to the journal: logger: socket: No such file",
  );
  assert.equal(down.calls.length, 1);
});

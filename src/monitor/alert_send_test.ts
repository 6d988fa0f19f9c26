import assert from "node:assert/strict";
import { type AlertEvent, mailMessage, slackBody, webhookConfig } from "./alert_send.ts";

const EVENT: AlertEvent = {
  kind: "problem",
  key: "run:failed",
  severity: "critical",
  summary: "apply failed\nBcc: everyone@example.com",
  host: "web1",
  at: "2026-11-30T12:00:00.000Z",
  since: "2026-11-30T12:00:00.000Z",
};

Deno.test("a line break in a summary cannot add a mail header", () => {
  const message = mailMessage(EVENT, ["ops@example.com"], undefined, new Date(EVENT.at));
  const headers = message.slice(0, message.indexOf("\n\n")).split("\n");
  assert.deepEqual(headers.map((h) => h.slice(0, h.indexOf(":"))), [
    "To",
    "Subject",
    "Date",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
  ]);
  assert.ok(headers.includes("Subject: [cm] web1: PROBLEM apply failed Bcc: everyone@example.com"));
  assert.ok(headers.includes("Date: Mon, 30 Nov 2026 12:00:00 +0000"));
});

Deno.test("slack text escapes its control characters and marks recovery", () => {
  const body = JSON.parse(slackBody({ ...EVENT, kind: "recovery", summary: "a <b> & c" }));
  assert.equal(body.text, ":large_green_circle: *web1* recovered: a &lt;b&gt; &amp; c");
});

Deno.test("curl config quotes backslashes, quotes and line breaks", () => {
  const config = webhookConfig("https://h/x", { "X-Key": 'a"b' }, '{"s":"a\\\\b\\n"}', 7);
  assert.match(config, /^header = "X-Key: a\\"b"$/m);
  assert.match(config, /^data-binary = "\{\\"s\\":\\"a\\\\\\\\b\\\\n\\"\}"$/m);
  assert.match(config, /^max-time = "7"$/m);
  assert.match(config, /^fail$/m);
});

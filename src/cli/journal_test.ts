import assert from "node:assert/strict";
import { fstatSync } from "node:fs";
import { isJournal, journalStreams, withPriority } from "./journal.ts";

Deno.test("a stream is the journal only when JOURNAL_STREAM names its device and inode", () => {
  assert.equal(isJournal("9:1188026", { dev: 9, ino: 1188026 }), true);
  assert.equal(isJournal("9:1188026", { dev: 9, ino: 42 }), false);
  assert.equal(isJournal("9:1188026", { dev: 8, ino: 1188026 }), false);
  assert.equal(isJournal(undefined, { dev: 9, ino: 1188026 }), false);
  assert.equal(isJournal("9:1188026", null), false);
});

Deno.test("err and warning lines get sd-daemon prefixes, info lines none", () => {
  assert.equal(withPriority("failed   x", "err"), "<3>failed   x");
  assert.equal(withPriority("warning: y", "warning"), "<4>warning: y");
  assert.equal(withPriority("changed  z"), "changed  z");
});

Deno.test("journalStreams finds stderr by the device and inode JOURNAL_STREAM names", () => {
  const before = Deno.env.get("JOURNAL_STREAM");
  try {
    Deno.env.delete("JOURNAL_STREAM");
    assert.deepEqual(journalStreams(), { out: false, err: false });
    const { dev, ino } = fstatSync(2);
    Deno.env.set("JOURNAL_STREAM", `${dev}:${ino}`);
    assert.equal(journalStreams().err, true);
  } finally {
    if (before === undefined) Deno.env.delete("JOURNAL_STREAM");
    else Deno.env.set("JOURNAL_STREAM", before);
  }
});

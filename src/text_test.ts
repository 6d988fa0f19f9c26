import assert from "node:assert/strict";
import { didYouMean, humanTime, maskSecrets, parseDuration } from "./text.ts";

Deno.test("didYouMean suggests a near field name and nothing for a far one", () => {
  assert.equal(didYouMean("contnet", ["content", "owner", "mode"]), "content");
  assert.equal(didYouMean("zzzzzz", ["content", "owner", "mode"]), undefined);
});

Deno.test("parseDuration reads seconds, 30s, 5m and 1h, and refuses anything else", () => {
  assert.equal(parseDuration(300), 300);
  assert.equal(parseDuration("1.5"), 1.5);
  assert.equal(parseDuration(" 30s "), 30);
  assert.equal(parseDuration("5m"), 300);
  assert.equal(parseDuration("1h"), 3600);
  for (const bad of ["5d", "", "-1", "m", null, -1, Infinity]) {
    assert.equal(parseDuration(bad), null, String(bad));
  }
});

Deno.test("didYouMean over apt's 60,000 names: nothing for a 300-character name, the near one for a typo", () => {
  // Its speed is a figure of `deno task bench scaling`, not asserted here.
  const names = Array.from({ length: 60_000 }, (_, i) => `libpackage-name-${i}`);
  assert.equal(didYouMean("a".repeat(300), names), undefined);
  assert.equal(didYouMean("libpackage-name-4242x", names), "libpackage-name-4242");
});

Deno.test("didYouMean counts two swapped letters as one typo", () => {
  assert.equal(didYouMean("ngnix", ["xonix", "nginx", "bash"]), "nginx");
});

Deno.test("humanTime prints local time with its UTC offset, and text that is no time as it is", async () => {
  assert.match(humanTime("2026-12-02T03:14:07.123Z"), /^2026-12-0[12] \d\d:\d\d:07 [+-]\d{4}$/);
  assert.equal(humanTime("not a time"), "not a time");
  const inZone = async (tz: string) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { humanTime } from "${new URL("./text.ts", import.meta.url)}";` +
        `console.log(humanTime("2026-12-02T03:14:07Z"), humanTime(new Date("2026-07-01T12:00:00Z")))`,
      ],
      env: { TZ: tz, NO_COLOR: "1" },
    }).output();
    return new TextDecoder().decode(output.stdout).trim();
  };
  assert.equal(await inZone("UTC"), "2026-12-02 03:14:07 +0000 2026-07-01 12:00:00 +0000");
  assert.equal(await inZone("Asia/Kolkata"), "2026-12-02 08:44:07 +0530 2026-07-01 17:30:00 +0530");
  assert.equal(
    await inZone("America/New_York"),
    "2026-12-01 22:14:07 -0500 2026-07-01 08:00:00 -0400",
  );
});

Deno.test("maskSecrets hides the whole of secrets that contain or overlap one another", () => {
  const secrets = ["abcdefgh1", "abcdefgh12345", "12345-tail"];
  assert.equal(maskSecrets("a=abcdefgh1 b=abcdefgh12345", secrets), "a=*** b=***");
  assert.equal(maskSecrets("c=abcdefgh12345-tail!", secrets), "c=***!");
  assert.equal(maskSecrets("d=abcdefgh12345", [...secrets].reverse()), "d=***");
});

Deno.test("maskSecrets takes secrets as plain text: regex characters, unicode, repeats", () => {
  const secrets = ["Sup3r$ecret.*+?", "pässwörd-ü", "(a|b)[c]"];
  assert.equal(
    maskSecrets("Sup3r$ecret.*+? pässwörd-ü (a|b)[c] Sup3rXecretX", secrets),
    "*** *** *** Sup3rXecretX",
  );
  assert.equal(
    maskSecrets("aaaa aaaaaa", ["aaaa"]),
    "*** ***",
    "one hidden run per occurrence or overlap",
  );
  assert.equal(maskSecrets("abc", ["abc"]), "abc", "under 4 characters, not masked");
});

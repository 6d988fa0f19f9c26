import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { dpkgQueryArgv } from "./dpkg.ts";
import { factReader } from "./mod.ts";

const NO_PHP = { code: 1, stderr: "dpkg-query: no packages found matching php*-fpm" };
const osRelease = (id: string, version: string) => `ID=${id}\nVERSION_ID="${version}"\n`;

Deno.test("php_version is the installed PHP-FPM's version first", async () => {
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], { stdout: "php8.1-fpm\tamd64\t1\tii \nphp8.1-cli\tamd64\t1\tii \n" })
    .on(["apt-cache", "policy", "php"], { stdout: "php:\n  Candidate: 2:8.2+93\n" });
  assert.equal(await factReader(probe)("php_version"), "8.1");
  assert.deepEqual(probe.calls, [dpkgQueryArgv(["php*-fpm", "php*-cli"])]);
});

Deno.test("php_version ignores removed PHP packages whose configuration files remain", async () => {
  // dpkg-query lists packages in name order: the removed php7.4 comes first.
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], {
      stdout:
        "php7.4-cli\tamd64\t1\trc \nphp7.4-fpm\tamd64\t1\trc \nphp8.2-cli\tamd64\t1\tii \nphp8.2-fpm\tamd64\t1\tii \n",
    });
  assert.equal(await factReader(probe)("php_version"), "8.2");
});

Deno.test("php_version is the highest of several installed PHP versions", async () => {
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], {
      stdout:
        "php8.1-cli\tamd64\t1\tii \nphp8.1-fpm\tamd64\t1\tii \nphp8.3-cli\tamd64\t1\tii \nphp8.3-fpm\tamd64\t1\thi \n" +
        "php8.10-cli\tamd64\t1\tii \nphp9.0-fpm\tamd64\t1\trc \n",
    });
  assert.equal(await factReader(probe)("php_version"), "8.10");
});

Deno.test("php_version reads the installed CLI when no PHP-FPM was ever installed", async () => {
  // dpkg-query exits 1 when one pattern matched nothing, but what it printed is right.
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], {
      code: 1,
      stdout: "php8.2-cli\tamd64\t1\tii \n",
      stderr: "dpkg-query: no packages found matching php*-fpm\n",
    });
  assert.equal(await factReader(probe)("php_version"), "8.2");
});

Deno.test("php_version asks apt when only removed PHP packages remain", async () => {
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], { stdout: "php7.4-cli\tamd64\t1\trc \nphp7.4-fpm\tamd64\t1\trc \n" })
    .on(["apt-cache", "policy", "php"], { stdout: "php:\n  Candidate: 2:8.2+93\n" });
  assert.equal(await factReader(probe)("php_version"), "8.2");
});

Deno.test("php_version is apt's candidate when PHP is not installed", async () => {
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], NO_PHP)
    .on(["apt-cache", "policy", "php"], {
      stdout: "php:\n  Installed: (none)\n  Candidate: 2:8.2+93\n",
    })
    .put("/etc/os-release", osRelease("ubuntu", "24.04"));
  assert.equal(await factReader(probe)("php_version"), "8.2");
});

Deno.test("php_version falls back to the release's PHP when the apt lists are empty", async () => {
  for (const [id, version, php] of [["ubuntu", "24.04", "8.3"], ["debian", "12", "8.2"]]) {
    const probe = new RecordingExecutor()
      .on(["dpkg-query"], NO_PHP)
      .on(["apt-cache", "policy", "php"], { stdout: "" })
      .put("/etc/os-release", osRelease(id, version));
    assert.equal(await factReader(probe)("php_version"), php, `${id} ${version}`);
  }
});

Deno.test("php_version names the release when neither apt nor cm knows its PHP", async () => {
  const probe = new RecordingExecutor()
    .on(["dpkg-query"], NO_PHP)
    .on(["apt-cache", "policy", "php"], { stdout: "" })
    .put("/etc/os-release", osRelease("debian", "9"));
  await assert.rejects(
    factReader(probe)("php_version") as Promise<unknown>,
    {
      message:
        'PHP is not installed, apt has no candidate for package "php" (run apt-get update?) and debian 9 is not a release whose PHP version cm knows',
    },
  );
});

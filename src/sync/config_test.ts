import assert from "node:assert/strict";
import { ConfigError, UsageError } from "../errors.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import { resolveSettings } from "./config.ts";
import { parseNodeConfig } from "./config_schema.ts";

Deno.test("node config errors name file:line:col, the field and a did-you-mean", () => {
  const text =
    "repo: https://example.com/x.git\nbrnach: main\ninterval: soon\ncookbooks:\n  - /etc/x.yaml\n";
  assert.throws(() => parseNodeConfig(text, "/etc/config-manager/config.yaml"), (error) => {
    assert.ok(error instanceof ConfigError);
    const message = error.message;
    assert.match(message, /config\.yaml:2:1: brnach: unknown field; did you mean "branch"\?/);
    assert.match(message, /config\.yaml:3:11: interval: expected seconds .* got "soon"/);
    assert.match(
      message,
      /config\.yaml:5:5: cookbooks\[0\]: expected a path inside the repository/,
    );
    return true;
  });
});

Deno.test("an interval or splay no timer can wait (0, 1 ms, past 2^31 ms) is refused, in the file and as flags", async () => {
  for (
    const [line, at] of [["interval: 0", "1:11"], ["interval: 0.001", "1:11"], [
      "interval: 1e9",
      "1:11",
    ], ["splay: 99999999999", "1:8"]]
  ) {
    assert.throws(
      () => parseNodeConfig(`${line}\n`, "c.yaml"),
      new RegExp(
        `c\\.yaml:${at}: (interval|splay): expected \\d to 2000000 seconds \\(23 days\\), got number`,
      ),
      line,
    );
  }
  const exec = new RecordingExecutor();
  await assert.rejects(
    () => resolveSettings(exec, { repo: "file:///r", interval: 0.001 }),
    /--interval: expected 1 to 2000000 seconds \(23 days\), got 0.001/,
  );
  await assert.rejects(
    () => resolveSettings(exec, { repo: "file:///r", splay: 1e10 }),
    /--splay: expected 0 to/,
  );
  assert.equal(
    (await resolveSettings(exec, { repo: "file:///r", interval: 2_000_000, splay: 0 })).interval,
    2_000_000,
  );
});

Deno.test("verify_signatures without trusted_keys is refused at its line", () => {
  assert.throws(
    () => parseNodeConfig("repo: x\nverify_signatures: true\n", "c.yaml"),
    /c\.yaml:2:20: verify_signatures: needs trusted_keys/,
  );
});

Deno.test("an empty cookbooks: list is refused in words, at its line", () => {
  assert.throws(
    () => parseNodeConfig("repo: x\ncookbooks: []\n", "c.yaml"),
    /c\.yaml:2:12: cookbooks: expected at least one cookbook path; leave cookbooks: out for the default selection/,
  );
});

Deno.test("flags override every field of the node config", async () => {
  const exec = new RecordingExecutor().put(
    "/c.yaml",
    "repo: file:///a\nbranch: prod\ncookbooks: [web.yaml]\ninterval: 5m\nsplay: 10\ncredentials: /k\n" +
      "on_cookbook_change: refuse\n",
  );
  const fromFile = await resolveSettings(exec, { config: "/c.yaml" });
  assert.deepEqual(
    { ...fromFile },
    {
      repo: "file:///a",
      branch: "prod",
      cookbooks: ["web.yaml"],
      interval: 300,
      splay: 10,
      credentials: "/k",
      verifySignatures: false,
      trustedKeys: undefined,
      refuseCookbookChange: true,
      configFile: "/c.yaml",
    },
  );
  const flags = await resolveSettings(exec, {
    config: "/c.yaml",
    repo: "file:///b",
    branch: "dev",
    cookbook: ["db.yaml"],
    interval: 20,
    splay: 0,
    credentials: "/k2",
    verifySignatures: true,
    trustedKeys: "/signers",
  });
  assert.equal(flags.repo, "file:///b");
  assert.equal(flags.branch, "dev");
  assert.deepEqual(flags.cookbooks, ["db.yaml"]);
  assert.equal(flags.interval, 20);
  assert.equal(flags.splay, 0);
  assert.equal(flags.credentials, "/k2");
  assert.equal(flags.trustedKeys, "/signers");
});

Deno.test("no config file and no --repo is a usage error; defaults fill the rest", async () => {
  const exec = new RecordingExecutor();
  await assert.rejects(
    () => resolveSettings(exec, { config: "/missing.yaml" }),
    /cannot read node configuration/,
  );
  const s = await resolveSettings(exec, { repo: "file:///r" });
  assert.equal(s.branch, "main");
  assert.equal(s.interval, 300);
  assert.equal(s.splay, 60);
  assert.equal(s.cookbooks, undefined);
});

Deno.test("a password in the repo URL is refused at its line, pointing at the credentials file", () => {
  const text = "branch: main\nrepo: https://deploy:hunter2pw@git.example.com/ops/cb.git\n";
  assert.throws(() => parseNodeConfig(text, "/etc/config-manager/config.yaml"), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /^\/etc\/config-manager\/config\.yaml:2:7: repo: .*password.*credentials:/,
    );
    assert.ok(!error.message.includes("hunter2pw"), error.message);
    return true;
  });
  // Reported together with the other problems of the file.
  assert.throws(
    () => parseNodeConfig("repo: ssh://u:hunter2pw@h/r.git\nsplay: soon\n", "c.yaml"),
    (error) => error instanceof ConfigError && error.problems.length === 2,
  );
  // A user name in an https URL may be the token itself (GitHub's https://TOKEN@github.com/...).
  assert.throws(
    () => parseNodeConfig("repo: HTTPS://ghp_hunter2tok@github.com/o/r.git\n", "c.yaml"),
    (error) => error instanceof ConfigError && !error.message.includes("hunter2tok"),
  );
  // Nor is it shown when the URL is refused for another reason.
  assert.throws(
    () => parseNodeConfig('repo: "-https://u:hunter2pw@h/r.git"\n', "c.yaml"),
    (error) => error instanceof ConfigError && !error.message.includes("hunter2pw"),
  );
  // A user name alone elsewhere (ssh://git@host, an scp-like address, a port) is fine.
  for (const repo of ["ssh://git@h:22/r.git", "git@h:ops/r.git", "https://h/r.git"]) {
    assert.equal(parseNodeConfig(`repo: ${JSON.stringify(repo)}\n`, "c.yaml").repo, repo);
  }
});

Deno.test("a password in --repo is a usage error naming --credentials", async () => {
  const exec = new RecordingExecutor();
  await assert.rejects(
    () => resolveSettings(exec, { config: "/missing.yaml", repo: "https://u:hunter2pw@h/r.git" }),
    (error) =>
      error instanceof UsageError && /--repo: .*password.*--credentials/.test(error.message) &&
      !error.message.includes("hunter2pw"),
  );
  const exec2 = new RecordingExecutor().put("/c.yaml", "repo: https://h/r.git\n");
  await assert.rejects(
    () => resolveSettings(exec2, { config: "/c.yaml", repo: "https://hunter2tok@h/r.git" }),
    (error) =>
      error instanceof UsageError && /--repo: .*user name.*--credentials/.test(error.message) &&
      !error.message.includes("hunter2tok"),
  );
  await assert.rejects(
    () => resolveSettings(exec2, { config: "/c.yaml", repo: "https://u:hunter2pw@h/r.git" }),
    UsageError,
  );
});

Deno.test("a branch name git cannot have is refused at its line and as --branch, not left to fail every fetch", async () => {
  for (
    const branch of ["main..x", "rel.lock", "@", "a//b", ".hidden", "x/", "x@{1}", "a/.b", "-x"]
  ) {
    assert.throws(
      () => parseNodeConfig(`branch: ${JSON.stringify(branch)}\n`, "c.yaml"),
      (error) =>
        error instanceof ConfigError &&
        /^c\.yaml:1:9: branch: expected a branch name git accepts/.test(error.message),
      branch,
    );
    const exec = new RecordingExecutor().put("/c.yaml", "repo: https://h/r.git\n");
    await assert.rejects(
      () => resolveSettings(exec, { config: "/c.yaml", branch }),
      (error) => error instanceof UsageError && error.message.startsWith(`--branch "${branch}"`),
      branch,
    );
  }
  for (const branch of ["main", "feature/x-1", "release-1.2", "v@1", "a.lockx"]) {
    assert.equal(parseNodeConfig(`branch: ${JSON.stringify(branch)}\n`, "c.yaml").branch, branch);
  }
});

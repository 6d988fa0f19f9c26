import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { CredentialsError } from "../errors.ts";
import { readCredentials, redact } from "./credentials.ts";
import { Git } from "./git.ts";

Deno.test("a credentials file readable by group or others is refused", () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    const exec = new RecordingExecutor().put("/etc/cm/creds", "token", { mode });
    assert.throws(() => readCredentials(exec, "/etc/cm/creds", 0), CredentialsError);
  }
  const other = new RecordingExecutor().put("/creds", "token", { mode: 0o600, uid: 1000 });
  assert.throws(() => readCredentials(other, "/creds", 0), /belongs to uid 1000/);
  assert.throws(() => readCredentials(new RecordingExecutor(), "/none", 0), /does not exist/);
});

Deno.test("an HTTPS token goes to git through GIT_CONFIG_* environment, never argv", async () => {
  const exec = new RecordingExecutor().put("/creds", "deploy:tok3n-value\n", { mode: 0o600 });
  const creds = readCredentials(exec, "/creds", 0);
  assert.equal(creds.kind, "token");
  assert.equal(creds.env.GIT_CONFIG_KEY_0, "http.extraHeader");
  assert.equal(creds.env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${btoa("deploy:tok3n-value")}`);
  const envs: Record<string, string>[] = [];
  exec.on(["git"], (_argv, options) => (envs.push(options.env ?? {}), { code: 0 }));
  const git = new Git(exec, "/repo", creds.env, creds.secrets);
  await git.fetch("main");
  assert.ok(exec.calls.length > 0);
  for (const argv of exec.calls) assert.ok(!argv.join(" ").includes("tok3n"), argv.join(" "));
  assert.ok(envs.every((e) => e.GIT_CONFIG_VALUE_0?.startsWith("Authorization: Basic")));
  assert.ok(envs.every((e) => e.GIT_TERMINAL_PROMPT === "0"));
  assert.equal(redact("fatal: tok3n-value rejected", creds.secrets), "fatal: *** rejected");
});

Deno.test("a bare token is sent as x-access-token", () => {
  const exec = new RecordingExecutor().put("/creds", "abcdef123\n", { mode: 0o400 });
  assert.equal(
    readCredentials(exec, "/creds", 0).env.GIT_CONFIG_VALUE_0,
    `Authorization: Basic ${btoa("x-access-token:abcdef123")}`,
  );
});

Deno.test("an SSH private key is used with -i and IdentitiesOnly", () => {
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
  const exec = new RecordingExecutor().put("/etc/cm/id_ed25519", key, { mode: 0o600 });
  const creds = readCredentials(exec, "/etc/cm/id_ed25519", 0);
  assert.equal(creds.kind, "ssh");
  assert.match(
    creds.env.GIT_SSH_COMMAND,
    /^ssh -i \/etc\/cm\/id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes/,
  );
  // A server that does not answer is given up on, as for HTTPS.
  assert.match(creds.env.GIT_SSH_COMMAND, / -o ConnectTimeout=30 -o ServerAliveInterval=15 /);
});

Deno.test("passwords in URLs are redacted", () => {
  assert.equal(
    redact("https://bob:hunter2@git.example.com/x.git"),
    "https://bob:***@git.example.com/x.git",
  );
  assert.equal(redact("ssh://git@example.com/x.git"), "ssh://git@example.com/x.git");
});

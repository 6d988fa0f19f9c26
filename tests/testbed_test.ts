import assert from "node:assert/strict";
import { bootServer, RUN_DIR, type Server } from "./testbed/mod.ts";
import { exists } from "./testbed/_run.ts";

/** Asserts that a shut-down server left no process, mount, cgroup or runtime file on the host. */
async function assertGone(srv: Server, initPid: number): Promise<void> {
  assert.equal(await exists(`/proc/${initPid}`), false, `init pid ${initPid} still exists`);
  const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .filter((l) => l.includes(srv.name) || l.includes(RUN_DIR));
  assert.deepEqual(mounts, [], "mounts left behind");
  for (
    const path of [
      `${RUN_DIR}/${srv.name}`,
      `/sys/fs/cgroup/systemd/cm-testbed/${srv.name}`,
      `/sys/fs/cgroup/unified/cm-testbed/${srv.name}`,
      "/run/systemd/nspawn",
    ]
  ) {
    assert.equal(await exists(path), false, `${path} left behind`);
  }
}

Deno.test("testbed server boots systemd, installs nginx and serves it to itself and the host", async () => {
  let srv: Server | undefined;
  let initPid = 0;
  {
    await using s = await bootServer();
    srv = s;
    initPid = s.pid;
    const state = await s.exec(["systemctl", "is-system-running"]);
    assert.equal(state.stdout.trim(), "running");
    assert.equal((await s.exec(["cat", "/proc/1/comm"])).stdout.trim(), "systemd");

    await s.exec(["apt-get", "install", "-y", "nginx"], {
      env: { DEBIAN_FRONTEND: "noninteractive" },
      check: true,
    });
    assert.equal((await s.exec(["systemctl", "is-active", "nginx"])).stdout.trim(), "active");
    const inside = await s.exec(["curl", "-s", "http://127.0.0.1/"], { check: true });
    assert.match(inside.stdout, /Welcome to nginx/);
    const res = await fetch("http://127.0.0.1/");
    assert.match(await res.text(), /Welcome to nginx/);
  }
  await assertGone(srv, initPid);
});

Deno.test("testbed gives the next server a fresh disk that survives its reboots", async () => {
  await using srv = await bootServer();
  const nginx = await srv.exec(["dpkg", "-s", "nginx"]);
  assert.notEqual(nginx.code, 0, "nginx from the previous server leaked into this one");
  assert.equal(await exists(`${srv.root}/etc/nginx`), false);

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/hello`, "#!/bin/sh\necho hello from $(hostname)\n", {
      mode: 0o755,
    });
    await srv.copyIn(`${dir}/hello`, "/usr/local/bin/hello");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(
    (await srv.exec(["hello"], { check: true })).stdout.trim(),
    `hello from ${srv.name}`,
  );

  const before = srv.pid;
  await srv.reboot();
  assert.notEqual(srv.pid, before);
  assert.equal(await exists(`/proc/${before}`), false);
  assert.equal((await srv.exec(["systemctl", "is-system-running"])).stdout.trim(), "running");
  assert.equal(
    (await srv.exec(["hello"], { check: true })).stdout.trim(),
    `hello from ${srv.name}`,
  );
  const env = await srv.exec(["env"], { env: { FOO: "bar" } });
  assert.deepEqual(env.stdout.trim().split("\n").sort(), [
    "FOO=bar",
    "HOME=/root",
    "LANG=C.UTF-8",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ]);
  const failed = await srv.exec(["false"], { check: true }).catch((e: Error) => e.message);
  assert.match(String(failed), /\["false"\] exited 1/);
});

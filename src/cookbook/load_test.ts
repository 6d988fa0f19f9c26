import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadCookbooks } from "./load.ts";
import { CookbookError, formatProblem } from "../errors.ts";
import { RealExecutor } from "../exec/real.ts";

const exec = new RealExecutor();
const SEED = new URL("../../tests/testdata/seed_example.yaml", import.meta.url).pathname;

/** Writes `files` (relative path → text) into a fresh temp dir; returns its real path. */
async function tree(files: Record<string, string>): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix: "cm-load-" }));
  for (const [name, text] of Object.entries(files)) {
    const file = `${path}/${name}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** The problems of a load that must fail, formatted as cm prints them. */
async function problems(paths: string[]): Promise<string[]> {
  try {
    await loadCookbooks(paths, exec);
  } catch (error) {
    if (error instanceof CookbookError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new assert.AssertionError({ message: `expected ${paths.join(", ")} to be rejected` });
}

Deno.test("the seed design's example loads unchanged, resources in run order with ids", async () => {
  const cookbook = await loadCookbooks([SEED], exec);
  assert.equal(cookbook.name, "Configuration Name");
  assert.equal(cookbook.version, "1.0.0");
  assert.equal(cookbook.description, "Configuration description");
  assert.deepEqual(cookbook.files, [SEED]);
  assert.deepEqual(
    cookbook.resources.map((r) => [r.kind, r.id, r.path, r.section, r.at.line, r.at.col]),
    [
      ["command", "command[/usr/bin/apt-get update]", "install.pre_install[0]", 0, 7, 7],
      ["package", "package[nginx]", "install.install[0]", 2, 10, 7],
      ["command", "command[/bin/systemctl enable nginx]", "install.post_install[0]", 3, 14, 7],
      ["file", "file[/etc/nginx/nginx.conf]", "configure.files[0]", 8, 19, 7],
      ["service", "service[nginx]", "configure.services[0]", 11, 27, 7],
    ],
  );
  const [pre, pkg, post, file, service] = cookbook.resources.map((r) => r.spec);
  assert.deepEqual(pre, {
    command: "/usr/bin/apt-get update",
    sudo: true,
    shell: false,
    plan_guards: true,
    sensitive: false,
  });
  assert.deepEqual(pkg, { package: "nginx", version: "latest", state: "present" });
  assert.equal(post.command, "/bin/systemctl enable nginx");
  assert.deepEqual(file, {
    path: "/etc/nginx/nginx.conf",
    content: "# Configuration content\n",
    owner: "root",
    group: "root",
    mode: "0644",
    state: "present",
    sensitive: false,
    // Derived once here (file.prepare), kept by the catalog: a run from it does not hash again.
    contentSha256: createHash("sha256").update("# Configuration content\n").digest("hex"),
  });
  assert.deepEqual(service, { name: "nginx", state: "started", enabled: true });
});

Deno.test("included cookbooks come first and the including cookbook's vars override theirs", async () => {
  await using dir = await tree({
    "base/base.yaml": [
      "vars:",
      "  port: 80",
      "  greeting: hello",
      "configure:",
      "  files:",
      "    - path: /etc/base.conf",
      '      content: "{{ greeting }} on {{ port }}"',
    ].join("\n"),
    "web.yaml": [
      "name: web",
      "include:",
      "  - base/base.yaml",
      "vars:",
      "  port: 8080",
      "install:",
      "  install:",
      "    - package: nginx",
      "configure:",
      "  files:",
      "    - path: /etc/web.conf",
      '      content: "listen {{ port }}"',
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.equal(cookbook.name, "web");
  assert.deepEqual(cookbook.files, [`${dir.path}/base/base.yaml`, `${dir.path}/web.yaml`]);
  assert.deepEqual(cookbook.resources.map((r) => r.id), [
    "file[/etc/base.conf]",
    "package[nginx]",
    "file[/etc/web.conf]",
  ]);
  assert.deepEqual(cookbook.resources.map((r) => r.spec.content ?? null), [
    "hello on 8080",
    null,
    "listen 8080",
  ]);
  assert.equal(cookbook.resources[0].at.file, `${dir.path}/base/base.yaml`);
});

Deno.test("placeholders are filled in content, paths and service names", async () => {
  await using dir = await tree({
    "web.yaml": [
      "vars:",
      "  site: hello",
      '  php: "8.2"',
      "  root: /srv/{{ site }}",
      "configure:",
      "  files:",
      "    - path: /etc/nginx/sites-enabled/{{ site }}.conf",
      '      content: "root {{ root }}; literal {% raw %}{{ site }}{% endraw %}"',
      "  services:",
      "    - name: php{{ php }}-fpm",
      "      restart_on:",
      "        - /etc/nginx/sites-enabled/{{ site }}.conf",
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.id), [
    "file[/etc/nginx/sites-enabled/hello.conf]",
    "service[php8.2-fpm]",
  ]);
  assert.equal(cookbook.resources[0].spec.content, "root /srv/hello; literal {{ site }}");
  assert.deepEqual(cookbook.resources[1].spec.restart_on, ["/etc/nginx/sites-enabled/hello.conf"]);
});

Deno.test("durations take seconds or the flags' syntax (30s, 5m), from a value or a template", async () => {
  await using dir = await tree({
    "web.yaml": [
      "vars:",
      "  wait: 2m",
      "install:",
      "  post_install:",
      "    - command: /bin/true",
      '      timeout: "30s"',
      "    - command: /bin/false",
      '      timeout: "{{ wait }}"',
      "    - command: /bin/echo",
      "      timeout: 1.5",
      "health:",
      "  - port: 80",
      "    timeout: 1m",
      '    backoff: "0.5"',
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.spec.timeout), [30, 120, 1.5]);
  assert.equal(cookbook.health[0].timeout, 60);
  assert.equal(cookbook.health[0].backoff, 0.5);
});

Deno.test("a template file is read relative to the cookbook and rendered into content", async () => {
  await using dir = await tree({
    "cookbooks/web.yaml": [
      "vars:",
      "  port: 8080",
      "configure:",
      "  files:",
      "    - path: /etc/nginx/conf.d/app.conf",
      "      template: templates/app.conf.tmpl",
    ].join("\n"),
    "cookbooks/templates/app.conf.tmpl": "server {\n  listen {{ port }};\n}\n",
  });
  const cookbook = await loadCookbooks([`${dir.path}/cookbooks/web.yaml`], exec);
  const spec = cookbook.resources[0].spec;
  assert.equal(spec.content, "server {\n  listen 8080;\n}\n");
  assert.equal(spec.template, "templates/app.conf.tmpl");
});

Deno.test("source resolves to sourcePath and may leave the cookbook's folder inside a git repo", async () => {
  await using dir = await tree({
    ".git/HEAD": "ref: refs/heads/main\n",
    "files/motd": "hello\n",
    "cookbooks/web.yaml": [
      "configure:",
      "  files:",
      "    - path: /etc/motd",
      "      source: ../files/motd",
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/cookbooks/web.yaml`], exec);
  assert.equal(cookbook.resources[0].spec.sourcePath, `${dir.path}/files/motd`);
  assert.equal(cookbook.resources[0].spec.content, undefined);
});

Deno.test("without a git repo, source must stay inside the cookbook's folder", async () => {
  await using dir = await tree({
    "files/motd": "hello\n",
    "cookbooks/web.yaml": [
      "configure:",
      "  files:",
      "    - path: /etc/motd",
      "      source: ../files/motd",
    ].join("\n"),
  });
  assert.deepEqual(await problems([`${dir.path}/cookbooks/web.yaml`]), [
    `${dir.path}/cookbooks/web.yaml:4:15: configure.files[0].source: expected a file inside ` +
    `the cookbook repository ${dir.path}/cookbooks, got "../files/motd"`,
  ]);
});

Deno.test("a source link that stays inside the repo resolves to its target", async () => {
  await using dir = await tree({
    ".git/HEAD": "ref: refs/heads/main\n",
    "files/motd": "hello\n",
    "web.yaml": "configure:\n  files:\n    - path: /etc/motd\n      source: files/link\n",
  });
  await Deno.symlink("motd", `${dir.path}/files/link`);
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.equal(cookbook.resources[0].spec.sourcePath, `${dir.path}/files/motd`);
});

Deno.test("facts hostname, os.id and cpu_count are filled in from this machine", async () => {
  await using dir = await tree({
    "web.yaml": [
      "configure:",
      "  files:",
      "    - path: /etc/motd",
      '      content: "{{ facts.hostname }} {{ facts.os.id }} {{ facts.cpu_count }}"',
    ].join("\n"),
  });
  const osRelease = await Deno.readTextFile("/etc/os-release");
  const osId = /^ID="?([^"\n]*)"?$/m.exec(osRelease)![1];
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.equal(
    cookbook.resources[0].spec.content,
    `${Deno.hostname().split(".")[0]} ${osId} ${navigator.hardwareConcurrency}`,
  );
  assert.match(cookbook.resources[0].spec.content, /^\S+ [a-z]+ [1-9]\d*$/);
});

Deno.test("several problems are reported at once, sorted by file and position", async () => {
  await using dir = await tree({
    "a.yaml": [
      "include:",
      "  - b.yaml",
      "configure:",
      "  files:",
      "    - path: /etc/a",
      '      content: "{{ nope }}"',
      "      mode: 644",
    ].join("\n"),
    "b.yaml": [
      "install:",
      "  install:",
      "    - package: Nginx",
      "  pre_install:",
      "    - command: ls | wc",
    ].join("\n"),
  });
  assert.deepEqual(await problems([`${dir.path}/a.yaml`]), [
    `${dir.path}/a.yaml:6:16: configure.files[0].content: unknown variable "nope" (no vars defined)`,
    `${dir.path}/a.yaml:7:13: configure.files[0].mode: expected a quoted octal mode like "0644" ` +
    "(unquoted, YAML reads a mode as a decimal number), got number 644",
    `${dir.path}/b.yaml:3:16: install.install[0].package: expected a valid Debian package name ` +
    '(lowercase letters, digits, + - .), got "Nginx"',
    `${dir.path}/b.yaml:5:16: install.pre_install[0].command: "|" needs a shell: use "shell: true"` +
    ' or quote it (command: "ls | wc")',
  ]);
});

Deno.test("a cookbook given twice, or included twice, is read once", async () => {
  await using dir = await tree({
    "common.yaml": "install:\n  install:\n    - package: git\n",
    "a.yaml": "include:\n  - common.yaml\n",
    "b.yaml": "include:\n  - common.yaml\n",
  });
  const cookbook = await loadCookbooks([`${dir.path}/a.yaml`, `${dir.path}/b.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.id), ["package[git]"]);
  assert.deepEqual(cookbook.files, [
    `${dir.path}/common.yaml`,
    `${dir.path}/a.yaml`,
    `${dir.path}/b.yaml`,
  ]);
});

Deno.test("cookbooks given together do not see each other's vars", async () => {
  await using dir = await tree({
    "c.yaml":
      "vars:\n  who: c\nconfigure:\n  files:\n    - path: /x/c-says-{{ who }}\n      content: hi\n",
    "d.yaml":
      "vars:\n  who: d\nconfigure:\n  files:\n    - path: /x/d-says-{{ who }}\n      content: hi\n",
  });
  const cookbook = await loadCookbooks([`${dir.path}/c.yaml`, `${dir.path}/d.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.id), ["file[/x/c-says-c]", "file[/x/d-says-d]"]);
});

Deno.test("the including cookbook's vars, and those its include passes, override an include's defaults", async () => {
  await using dir = await tree({
    "c.yaml":
      "vars:\n  who: c\n  port: 80\nconfigure:\n  files:\n    - path: /x/{{ who }}-{{ port }}\n      content: hi\n",
    "top.yaml": "include:\n  - {cookbook: c.yaml, vars: {port: 8080}}\nvars:\n  who: top\n",
  });
  const cookbook = await loadCookbooks([`${dir.path}/top.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.id), ["file[/x/top-8080]"]);
});

Deno.test("identical declarations from two roles are merged, different ones name both places", async () => {
  await using dir = await tree({
    "base.yaml": [
      "vars:",
      "  port: 80",
      "install:\n  install:\n    - package: curl",
      "configure:",
      "  files:",
      '    - path: /etc/base.conf\n      content: "{{ port }}"',
    ].join("\n"),
    "mid.yaml": "include: [base.yaml]\n",
    "web.yaml": "include: [mid.yaml]\nvars:\n  port: 8080\n",
    "other.yaml": "include: [base.yaml]\n",
  });
  const same = await loadCookbooks([`${dir.path}/mid.yaml`, `${dir.path}/other.yaml`], exec);
  assert.deepEqual(same.resources.map((r) => r.id), ["package[curl]", "file[/etc/base.conf]"]);
  assert.deepEqual(await problems([`${dir.path}/web.yaml`, `${dir.path}/other.yaml`]), [
    `${dir.path}/base.yaml:8:7: configure.files[0]: expected each resource once, or declared the ` +
    "same way, got file[/etc/base.conf] again with a different content (first declared at " +
    `${dir.path}/base.yaml:8:7)`,
  ]);
});

Deno.test("a role's ensure: two declarations of one resource, one skipped by its when:, are one", async () => {
  const role = (state: string) =>
    [
      `vars: {state: ${state}}`,
      "configure:",
      "  files:",
      '    - path: /home/bob/.ssh/authorized_keys\n      content: "ssh-ed25519 AAAA bob"',
      '      when: state == "present"',
      "    - path: /home/bob/.ssh/authorized_keys\n      state: absent",
      '      when: state == "absent"',
    ].join("\n");
  await using dir = await tree({ "present.yaml": role("present"), "absent.yaml": role("absent") });
  const present = await loadCookbooks([`${dir.path}/present.yaml`], exec);
  assert.deepEqual(present.resources.map((r) => [r.spec.state, r.skip]), [["present", undefined]]);
  const absent = await loadCookbooks([`${dir.path}/absent.yaml`], exec);
  assert.deepEqual(absent.resources.map((r) => [r.spec.state, r.skip]), [["absent", undefined]]);
});

Deno.test("paths with a trailing slash or // are rejected with the normalised spelling", async () => {
  await using dir = await tree({
    "web.yaml": [
      "configure:",
      "  directories:",
      "    - path: /",
      "    - path: /x/dd/",
      "    - path: /x//ee",
      "  files:",
      "    - path: /x/ff/",
      "      content: hi",
      "install:",
      "  pre_install:",
      "    - command: make",
      "      cwd: /srv/app/",
    ].join("\n"),
  });
  assert.deepEqual(await problems([`${dir.path}/web.yaml`]), [
    `${dir.path}/web.yaml:4:13: configure.directories[1].path: expected a normalised path ` +
    'without a trailing "/" (write "/x/dd"), got "/x/dd/"',
    `${dir.path}/web.yaml:5:13: configure.directories[2].path: expected a normalised path ` +
    'without "//" (write "/x/ee"), got "/x//ee"',
    `${dir.path}/web.yaml:7:13: configure.files[0].path: expected a normalised path ` +
    'without a trailing "/" (write "/x/ff"), got "/x/ff/"',
    `${dir.path}/web.yaml:12:12: install.pre_install[0].cwd: expected a normalised path ` +
    'without a trailing "/" (write "/srv/app"), got "/srv/app/"',
  ]);
});

Deno.test("a file and a directory at one path are rejected, also across cookbooks", async () => {
  await using dir = await tree({
    "a.yaml": "configure:\n  directories:\n    - path: /x\n",
    "b.yaml": "configure:\n  files:\n    - path: /x\n      state: absent\n",
  });
  assert.deepEqual(await problems([`${dir.path}/a.yaml`, `${dir.path}/b.yaml`]), [
    `${dir.path}/b.yaml:3:7: configure.files[0]: expected each path once, but directory[/x] ` +
    `and file[/x] declare the same path (directory[/x] is declared at ${dir.path}/a.yaml:3:7)`,
  ]);
});

Deno.test("a list var in a template file says how to use it", async () => {
  await using dir = await tree({
    "web.yaml": [
      "vars:",
      "  servers: [a, b]",
      "configure:",
      "  files:",
      "    - path: /etc/app.conf",
      "      template: app.tmpl",
    ].join("\n"),
    "app.tmpl": "# app\nupstream {{ servers }};\n",
  });
  assert.deepEqual(await problems([`${dir.path}/web.yaml`]), [
    `${dir.path}/app.tmpl:2:13: configure.files[0].template: expected "{{ servers }}" to be a ` +
    "single value, got a list (loop over it with {% for item in servers %}, or write " +
    `"{{ servers | join(' ') }}")`,
  ]);
});

Deno.test("two services naming one unit are rejected: what kinds claim is checked for every kind", async () => {
  await using dir = await tree({
    "a.yaml": "configure:\n  services:\n    - name: nginx\n    - name: nginx.service\n",
  });
  assert.deepEqual(await problems([`${dir.path}/a.yaml`]), [
    `${dir.path}/a.yaml:4:7: configure.services[1]: expected each unit once, but service[nginx] ` +
    `and service[nginx.service] declare the same unit (service[nginx] is declared at ${dir.path}/a.yaml:3:7)`,
  ]);
});

Deno.test("a bare path in restart_on finds the resource claiming it; the loaded cookbook is plain data", async () => {
  await using dir = await tree({
    "a.yaml": [
      "vars:",
      "  site: /srv/{{ facts.hostname }}",
      "configure:",
      "  directories:",
      "    - path: /srv",
      "  files:",
      '    - path: "{{ site }}"',
      "  services:",
      "    - name: web",
      "      restart_on: [/srv]",
      "",
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/a.yaml`], exec);
  assert.deepEqual(JSON.parse(JSON.stringify(cookbook.resources)), cookbook.resources);
  assert.deepEqual(cookbook.resources.map((r) => [r.kind, r.section]), [
    ["directory", 6],
    ["file", 8],
    ["service", 11],
  ]);
  assert.equal(cookbook.resources[1].spec.path, `/srv/${Deno.hostname().split(".")[0]}`);
});

Deno.test("new kinds load in their sections, the apt key resolved inside the repository", async () => {
  await using dir = await tree({
    "files/php.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
    "web.yaml": [
      "install:",
      "  repositories:",
      "    - name: php",
      "      uris: [https://packages.sury.org/php/]",
      "      suites: [bookworm]",
      "      components: [main]",
      "      key: files/php.asc",
      "configure:",
      "  checkouts:",
      "    - {path: /srv/app, repo: https://git.example.org/app.git, tag: v1}",
      "  links:",
      "    - {path: /srv/current, target: /srv/app}",
      "  cron_jobs:",
      "    - {name: app, schedule: '*/5 * * * *', user: www-data, command: /srv/app/tick}",
    ].join("\n"),
  });
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], exec);
  assert.deepEqual(cookbook.resources.map((r) => r.id), [
    "apt_repository[php]",
    "git[/srv/app]",
    "link[/srv/current]",
    "cron[app]",
  ]);
  assert.equal(cookbook.resources[0].spec.keyPath, `${dir.path}/files/php.asc`);
});

Deno.test("new kinds' problems are placed at their field: schedule, check rules, key, claims", async () => {
  await using dir = await tree({
    "web.yaml": [
      "install:",
      "  repositories:",
      "    - {name: php, uris: ['file:/r'], suites: [a], components: [main], key: ../outside.asc}",
      "configure:",
      "  checkouts:",
      "    - {path: /srv/app, repo: /r, tag: v1, branch: main}",
      "  files:",
      "    - {path: /etc/cron.d/app, content: x}",
      "  cron_jobs:",
      "    - {name: app, schedule: '* * * * *', command: /bin/true}",
      "    - {name: bad, schedule: '61 * * * *', command: /bin/true}",
    ].join("\n"),
  });
  const file = `${dir.path}/web.yaml`;
  const root = dir.path;
  assert.deepEqual(await problems([file]), [
    `${file}:3:76: install.repositories[0].key: expected a file inside the cookbook repository ${root}, got "../outside.asc"`,
    `${file}:6:39: configure.checkouts[0].tag: expected one of branch, tag, commit, got branch and tag`,
    `${file}:11:29: configure.cron_jobs[1].schedule: minute: "61" is out of range: expected 0-59, ` +
    'got "61 * * * *"',
  ]);
  const claims = [
    "configure:",
    "  files:",
    "    - {path: /etc/cron.d/app, content: x}",
    "  cron_jobs:",
    "    - {name: app, schedule: '* * * * *', command: /bin/true}",
  ].join("\n");
  Deno.writeTextFileSync(file, claims);
  assert.deepEqual(await problems([file]), [
    `${file}:5:7: configure.cron_jobs[0]: expected each path once, but file[/etc/cron.d/app] and ` +
    `cron[app] declare the same path (file[/etc/cron.d/app] is declared at ${file}:3:7)`,
  ]);
});

Deno.test("two users with one uid are a conflict at load", async () => {
  await using dir = await tree({
    "a.yaml": "configure:\n  users:\n    - {name: app, uid: 1500}\n    - {name: web, uid: 1500}\n",
  });
  const file = `${dir.path}/a.yaml`;
  assert.deepEqual(await problems([file]), [
    `${file}:4:7: configure.users[1]: expected each uid once, but user[app] and user[web] ` +
    `declare the same uid (user[app] is declared at ${file}:3:7)`,
  ]);
});

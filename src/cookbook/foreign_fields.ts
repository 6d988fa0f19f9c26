/**
 * Field names people bring from Ansible, Puppet and Chef, and how cm says the
 * same: the unknown-field message of a cookbook (or a configuration file)
 * suggests cm's field instead of leaving the user to guess.
 *
 * @module
 */

/** cm's fields that say what a foreign one said (those the place has are suggested), and how. */
export interface ForeignField {
  fields: readonly string[];
  hint: string;
}

const TRIGGERS: ForeignField = {
  fields: ["restart_on", "reload_on", "run_on"],
  hint:
    "in cm the handler names its triggers: restart_on or reload_on on a service, run_on on a command",
};

const SCHEDULE: ForeignField = {
  fields: ["schedule"],
  hint: 'Ansible\'s minute, hour, day, month and weekday are one cron schedule: "30 2 * * *"',
};

const LOOP: ForeignField = {
  fields: [],
  hint: "cm has no resource loops: declare each item, include a role once per item with its " +
    "vars, or write a {% for %} loop inside a template",
};

/** By foreign name: `notify` (Ansible, Puppet), `notifies` (Chef), `ensure` (Puppet)... */
export const FOREIGN_FIELDS: Readonly<Record<string, ForeignField>> = {
  notify: TRIGGERS,
  notifies: TRIGGERS,
  subscribe: TRIGGERS,
  subscribes: TRIGGERS,
  handlers: TRIGGERS,
  listen: TRIGGERS,
  refreshonly: {
    fields: ["run_on"],
    hint: "a command with run_on runs only when one of the paths or resources it names changed",
  },
  ensure: { fields: ["state"], hint: "Puppet's ensure is cm's state" },
  action: { fields: ["state"], hint: "Chef's action is cm's state" },
  become: { fields: ["sudo"], hint: "cm runs as root; a command can take sudo: true" },
  become_user: { fields: [], hint: "cm runs commands as root; a checkout has an owner" },
  dest: { fields: ["path"], hint: "Ansible's dest is cm's path" },
  src: { fields: ["source", "template"], hint: "Ansible's src is cm's source or template" },
  chdir: { fields: ["cwd"], hint: "Ansible's chdir is cm's cwd" },
  environment: { fields: ["env"], hint: "a command's environment is its env" },
  when: { fields: [], hint: "only the items of install and configure take a when" },
  name: { fields: ["package", "path"], hint: "Ansible's name is cm's package, or path for a path" },
  args: { fields: [], hint: "creates, cwd and env are fields of the command itself" },
  minute: SCHEDULE,
  hour: SCHEDULE,
  day: SCHEDULE,
  month: SCHEDULE,
  weekday: SCHEDULE,
  special_time: SCHEDULE,
  job: { fields: ["command"], hint: "Ansible's job is cm's command" },
  loop: LOOP,
  with_items: LOOP,
  with_dict: LOOP,
};

/**
 * The message for an unknown field `key` among `known`, when it is a foreign
 * name: `unknown field; did you mean "restart_on" or "reload_on"? (in cm ...)`.
 */
export function foreignFieldMessage(key: string, known: readonly string[]): string | undefined {
  const foreign = Object.hasOwn(FOREIGN_FIELDS, key) ? FOREIGN_FIELDS[key] : undefined;
  if (!foreign) return undefined;
  const fields = foreign.fields.filter((f) => known.includes(f));
  const guess = fields.length ? `; did you mean ${fields.map((f) => `"${f}"`).join(" or ")}?` : "";
  return `unknown field${guess} (${foreign.hint})`;
}

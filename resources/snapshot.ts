/**
 * The snapshot contract: what a kind records of a resource before a run
 * changes it ({@link Before}), and the store it records content in. A kind
 * that can be rolled back has `snapshot` and `restore` (resources/resource.ts);
 * src/state/snapshots.ts keeps the records, src/app/rollback.ts replays them.
 *
 * A new kind adds its own `Before` variant here (a `type` of its own) with
 * the pair; kinds that manage a path use {@link SnapshotStore.capture}, which
 * keeps content in a 0600 blob that never leaves the state directory.
 *
 * @module
 */

/** A file or directory as it was; `absent` when nothing was at the path. */
export type PathBefore =
  | { type: "file" | "directory"; path: string; state: "absent" }
  | {
    type: "file" | "directory";
    path: string;
    state: "present";
    /** Files only: the sha256 of the content, the key of its blob. */
    sha256?: string;
    owner: string;
    group: string;
    /** Octal text, e.g. "0644". */
    mode: string;
    /** Content never shown, not even in a diff of the restore. */
    sensitive?: boolean;
  };

/** A symbolic link as it was; `target: null` when there was none. */
export interface LinkBefore {
  /** Always "link". */
  type: "link";
  /** The link's own path. */
  path: string;
  /** What it pointed at (readlink), or `null` when nothing was there. */
  target: string | null;
}

/** The paths one resource manages, each as it was (apt_repository: its sources file and keyring). */
export interface PathsBefore {
  /** Always "paths". */
  type: "paths";
  /** One record per path, each as {@link SnapshotStore.capture} made it. */
  paths: Before[];
}

/** A git working copy as it was: what was checked out, or `head: null` when there was none. */
export interface GitBefore {
  /** Always "git". */
  type: "git";
  /** The working copy. */
  path: string;
  /** Who git runs as (`null`: root). */
  owner: string | null;
  /** The commit checked out, or `null` when the run cloned the working copy. */
  head: string | null;
  /** The local branch HEAD was on, or `null` when detached. */
  branch: string | null;
  /** The origin URL. */
  origin: string | null;
}

/** A user as it was: the fields cm manages, or `existed: false`. */
export type UserBefore =
  | {
    type: "user";
    name: string;
    existed: false;
    /** The home directory useradd was to create, where nothing was before the run. */
    newHome?: string;
    /** The group named like the user, as it was before the run (userdel may take it along). */
    namesakeGroup?: { gid: number; members: string[] };
  }
  | {
    type: "user";
    name: string;
    existed: true;
    uid: number;
    /** The primary group's name (its gid as text when it has no name). */
    group: string;
    /** The primary group's gid (absent in snapshots taken before cm recorded it). */
    gid?: number;
    /** Supplementary groups, sorted. */
    groups: string[];
    home: string;
    shell: string;
    /** The comment (GECOS) field. */
    comment: string;
  };

/** A group as it was: its gid, or `existed: false`. */
export type GroupBefore =
  | { type: "group"; name: string; existed: false }
  | {
    type: "group";
    name: string;
    existed: true;
    gid: number;
    /** Its members in /etc/group (absent in snapshots taken before cm recorded them). */
    members?: string[];
  };

/** What one resource was before the run touched it. */
export type Before =
  | PathBefore
  | LinkBefore
  | PathsBefore
  | GitBefore
  | { type: "package"; name: string; version: string | null }
  | { type: "service"; name: string; active: boolean; enabled: boolean | null }
  | UserBefore
  | GroupBefore;

/** Where snapshots keep content (implemented by src/state/snapshots.ts). */
export interface SnapshotStore {
  /**
   * Records `path` as it is now: a file's content into a blob (0600), a link's
   * target, a directory's owner and mode, or its absence.
   *
   * @throws {Error} when something else is at the path (a socket, a device)
   */
  capture(path: string, sensitive?: boolean): Promise<Before>;
  /** The content recorded under `sha256`, or `null` when it is gone. */
  content(sha256: string): Uint8Array | null;
}

#!/bin/sh
# cm @VERSION@, self-extracting executable (built by `deno task compile`, scripts/self_extracting.ts).
# After this header: a gzip-compressed tar of the deno runtime (@DENO_VERSION@) and a bundle of cm.
# The first run unpacks it, SHA-256 checked, into a cache named after that hash (root:
# /var/lib/config-manager/runtime, 0700; other users: ~/.cache/cm/runtime; or $CM_RUNTIME_DIR);
# every run then executes the bundle under cm's permission flags (src/permissions.ts).
set -eu
payload_sha256=@PAYLOAD_SHA256@
header_bytes=@HEADER_BYTES@

die() {
	printf 'cm: %s\n' "$*" >&2
	exit 2
}

system_root=/var/lib/config-manager/runtime
# "Owns the unpacked system cache" answers "am I root?" without forking id(1) (1 ms a run).
if [ -n "${CM_RUNTIME_DIR:-}" ]; then
	root=$CM_RUNTIME_DIR
elif [ -O "$system_root/$payload_sha256" ] || [ "$(id -u)" = 0 ]; then
	root=$system_root
elif [ -n "${XDG_CACHE_HOME:-}" ] || [ -n "${HOME:-}" ]; then
	root=${XDG_CACHE_HOME:-$HOME/.cache}/cm/runtime
else
	die "cannot choose a runtime cache: neither HOME nor CM_RUNTIME_DIR is set"
fi
cache=$root/$payload_sha256

# Whether a process runs the deno of the runtime directory $1 (its /proc/PID/exe names it).
running() {
	[ -n "$(find /proc/[0-9]*/exe -maxdepth 0 -lname "$1/deno" -print -quit 2>/dev/null)" ]
}

# Copies the payload out of "$0" once, checks its hash, unpacks it into a temporary directory
# beside the cache and renames that into place: a concurrent first run or a kill never leaves a
# half-filled cache under the final name. A subshell: its umask and traps stay its own.
unpack() (
	umask 077
	mkdir -p "$root" || die "cannot create the runtime cache \"$root\" (set CM_RUNTIME_DIR to a writable directory)"
	find "$root" -maxdepth 1 -name '.unpack.*' -mmin +10 -exec rm -rf {} + 2>/dev/null || true
	tmp=$(mktemp -d "$root/.unpack.XXXXXXXX") || die "cannot create a directory in \"$root\""
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	tail -c +"$((header_bytes + 1))" "$0" >"$tmp/payload" || die "cannot copy the payload of \"$0\" to \"$root\""
	actual=$(sha256sum "$tmp/payload") || die "sha256sum failed on \"$tmp/payload\""
	actual=${actual%% *}
	if [ "$actual" != "$payload_sha256" ]; then
		die "refusing to run \"$0\": the file is damaged (payload sha256 $actual, expected $payload_sha256; truncated or altered): copy it again"
	fi
	mkdir "$tmp/runtime"
	tar -xzf "$tmp/payload" -C "$tmp/runtime" || die "cannot unpack \"$0\" into \"$root\" (disk full?)"
	rm -f "$tmp/payload"
	if ! mv -T "$tmp/runtime" "$cache" 2>/dev/null && [ ! -d "$cache" ]; then
		die "cannot move the unpacked runtime to \"$cache\""
	fi
	# An older cm's runtime is superseded by this one, unless a cm still runs from it (`cm watch`,
	# a sync under way): it loads modules as it goes, so it still needs the files.
	for old in "$root"/*; do
		name=${old##*/}
		case $name in *[!0-9a-f]*) continue ;; esac
		if [ "${#name}" -eq 64 ] && [ "$name" != "$payload_sha256" ] && ! running "$old"; then
			rm -rf "$old"
		fi
	done
	rm -rf "$tmp"
	trap - EXIT
)

[ -d "$cache" ] || unpack || exit
[ -O "$cache" ] || die "refusing the runtime cache \"$cache\": it is not owned by this user"
# No core dump: one would hold what cm read, the node's vars file (secrets) included. dash,
# bash, busybox and mksh all take -c, though POSIX leaves it out; a shell without it still runs cm.
# shellcheck disable=SC3045
ulimit -c 0 2>/dev/null || :
DENO_DIR=$cache/deno_dir
DENO_NO_UPDATE_CHECK=1
export DENO_DIR DENO_NO_UPDATE_CHECK
exec "$cache/deno" run --quiet --no-config @FLAGS@ "$cache/cm/main.js" "$@"

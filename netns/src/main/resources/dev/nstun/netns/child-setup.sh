# Runs as the wrapped command's first process where nstun cannot make the command's mount namespace
# itself (netns/.../CommandMounts.java does the same from Java everywhere else): rootless `nstun exec`
# into another nstun's namespace, whose user namespace only the child can enter. By then it is inside
# the network namespace and a fresh private mount namespace (util-linux unshare --mount --propagation
# private), as the invoking user with every capability in a user namespace of its own.
# Gives the command its own resolv.conf and nsswitch.conf, hides the host resolver's unix sockets
# (they cross network namespaces: a DNS leak around nstun), then execs "$@" (setpriv … -- COMMAND).
# $1: the resolv.conf text; $2: the nsswitch.conf text (netns/.../ResolverFiles.java), empty when
# the host has none. Any failure here exits 125 with a line saying what went wrong.
set -u
fail() { printf 'nstun: %s\n' "$*" >&2; exit 125; }
resolv_text=$1
nsswitch_text=$2
shift 2

hidden=" "
hide() { # mount an empty tmpfs over directory $1 (canonical path), once
  case "$hidden" in *" $1 "*) return 0 ;; esac
  mount -t tmpfs -o size=64k,mode=0755 nstun-hidden "$1" || fail "cannot hide $1 (mount tmpfs failed)"
  hidden="$hidden$1 "
}
under_hidden() {
  for h in $hidden; do case "$1" in "$h"/*) return 0 ;; esac; done
  return 1
}

# The host resolver's sockets: systemd-resolved (varlink, also its stub files) and nscd, which
# glibc asks before nsswitch.conf's list whenever its socket answers.
for d in /run/systemd/resolve /run/nscd /var/run/nscd; do
  [ -d "$d" ] || continue
  hide "$(readlink -f "$d")"
done

# Scratch space for the generated files: a tmpfs over /tmp, unmounted again once the files are bound
# into place (each bind mount keeps the tmpfs alive by itself).
scratch=/tmp
mount -t tmpfs -o size=256k,mode=0755 nstun-scratch "$scratch" || fail "cannot mount a tmpfs on $scratch"
printf '%s' "$resolv_text" > "$scratch/resolv.conf" || fail "cannot write resolv.conf"
if [ -n "$nsswitch_text" ] && [ -e /etc/nsswitch.conf ]; then
  printf '%s' "$nsswitch_text" > "$scratch/nsswitch.conf" || fail "cannot write nsswitch.conf"
fi
chmod 0644 "$scratch"/*

# /etc/resolv.conf is often a link into /run/systemd/resolve/ (hidden above, so its target may be
# gone) or elsewhere under /run. Create the target only on a tmpfs of ours, never on the host.
target=$(readlink -f /etc/resolv.conf) || target=/etc/resolv.conf
if [ ! -e "$target" ]; then
  case "$target" in
    /run/*) ;;
    *) fail "/etc/resolv.conf does not exist (or points at missing $target): create it, even empty, so nstun can mount its own over it" ;;
  esac
  if ! under_hidden "$target"; then
    base=$(dirname "$target")
    while [ ! -d "$base" ]; do base=$(dirname "$base"); done
    hide "$base"
  fi
  mkdir -p "$(dirname "$target")" && : > "$target" || fail "cannot create $target"
fi
mount --bind "$scratch/resolv.conf" "$target" || fail "cannot mount resolv.conf over $target"
if [ -e "$scratch/nsswitch.conf" ]; then
  mount --bind "$scratch/nsswitch.conf" "$(readlink -f /etc/nsswitch.conf)" || fail "cannot mount nsswitch.conf"
fi
umount "$scratch" || fail "cannot unmount the scratch tmpfs on $scratch"

exec "$@"

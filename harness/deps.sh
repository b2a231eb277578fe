#!/bin/sh
# deps.sh: make sure Criterion and/or gcovr are here; install them as root, else say how.
# bwrap (bubblewrap, the sandbox's namespaces) is optional: installed as root, else a hint.
# Usage: harness/deps.sh criterion|gcovr|bwrap...
set -u
missing=""
optional=""
for dep in "$@"; do
    case "$dep" in
    criterion) pkg-config --exists criterion 2>/dev/null || missing="$missing libcriterion-dev pkg-config" ;;
    gcovr) command -v gcovr >/dev/null 2>&1 || missing="$missing gcovr" ;;
    bwrap) command -v bwrap >/dev/null 2>&1 || optional="$optional bubblewrap" ;;
    *) echo "deps.sh: unknown dependency $dep" >&2; exit 2 ;;
    esac
done
if [ -n "$optional" ] && [ "$(id -u)" -ne 0 ]; then
    echo "note: without bubblewrap, graded code runs without namespaces;" \
         "sudo apt-get install -y$optional" >&2
    optional=""
fi
missing="$missing$optional"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing (apt-get, as root)" >&2
export DEBIAN_FRONTEND=noninteractive
# An old or absent package list is the common reason an install fails: update once, retry.
apt-get install -y -q $missing >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; } || {
    echo "deps.sh: apt-get could not install$missing" >&2
    exit 1
}

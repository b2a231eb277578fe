#!/bin/sh
# deps.sh: make sure Criterion and/or gcovr are here; install them as root, else say how.
# bwrap (bubblewrap, the sandbox's namespaces), inotify (inotify-tools: make watch, which
# polls without it) and libnanopb-dev (with it, the test runners link Criterion statically,
# harness/criterion/: faster) are optional: installed as root, else a hint. gdb: make debug.
# Usage: harness/deps.sh criterion|gcovr|bwrap|inotify|gdb...
set -u
missing=""
optional=""
for dep in "$@"; do
    case "$dep" in
    criterion) pkg-config --exists criterion 2>/dev/null || missing="$missing libcriterion-dev pkg-config"
        # nanopb's archive: the test runners link Criterion statically (harness/criterion/)
        [ -f "$(cc -print-file-name=libprotobuf-nanopb.a 2>/dev/null)" ] || optional="$optional libnanopb-dev" ;;
    gcovr) command -v gcovr >/dev/null 2>&1 || missing="$missing gcovr" ;;
    bwrap) command -v bwrap >/dev/null 2>&1 || optional="$optional bubblewrap" ;;
    inotify) command -v inotifywait >/dev/null 2>&1 || optional="$optional inotify-tools" ;;
    gdb) command -v gdb >/dev/null 2>&1 && command -v gdbserver >/dev/null 2>&1 ||
        missing="$missing gdb gdbserver" ;;
    *) echo "deps.sh: unknown dependency $dep" >&2; exit 2 ;;
    esac
done
if [ -n "$optional" ] && [ "$(id -u)" -ne 0 ]; then
    case "$optional" in *bubblewrap*) echo "note: without bubblewrap, graded code runs without namespaces" >&2 ;; esac
    case "$optional" in *inotify*) echo "note: without inotify-tools, make watch polls" >&2 ;; esac
    case "$optional" in *nanopb*) echo "note: without libnanopb-dev, each test run loads libcriterion.so's 20 libraries (slower)" >&2 ;; esac
    echo "note: sudo apt-get install -y$optional" >&2
    optional=""
fi
[ -z "$missing$optional" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# An old or absent package list is the common reason an install fails: update once, retry.
install() {
    apt-get install -y -q "$@" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
if [ -n "$missing" ]; then
    echo "installing:$missing (apt-get, as root)" >&2
    install $missing || {
        echo "deps.sh: apt-get could not install$missing" >&2
        exit 1
    }
fi
# the optional ones apart: one that cannot be had here costs its convenience, not the run
if [ -n "$optional" ]; then
    echo "installing:$optional (apt-get, as root; optional)" >&2
    install $optional || echo "note: apt-get could not install$optional: going on without" >&2
fi
exit 0

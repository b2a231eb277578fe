#!/bin/sh
# build.sh OUT_DIR CC: the kit's static Criterion, for lab test runners.
#
# Writes OUT_DIR/criterion-kit.txt: its first line "static" when OUT_DIR/libcriterion-kit.a
# was made (and its second line the shared libraries it still needs, for the link), else
# "shared: <why>", and the grader links the system's libcriterion.so as before. The archive
# is Debian's libcriterion.a with its code moved into a section of its own, criterion_text
# (the linker then marks where it lies: __start_criterion_text, __stop_criterion_text, which
# cr_in_criterion() reads where dladdr() cannot tell the program from libcriterion), then
# BoxFort's and nanopb's archives and nogit.c. A static libcriterion spares each test run
# the loading of some 20 shared libraries, twice (the runner and the test's worker).
set -u
out=$1 cc=$2
shift 2
txt=$out/criterion-kit.txt kit=$out/libcriterion-kit.a
here=$(dirname "$0")
mkdir -p "$out"
rm -f "$kit"

shared() {
    echo "shared: $*" > "$txt"
    exit 0
}

[ "${GRADE_CRITERION:-}" = shared ] && shared "GRADE_CRITERION=shared"
find_a() { # the compiler's path of a library archive, or nothing
    p=$("$cc" -print-file-name="$1" 2>/dev/null)
    [ -f "$p" ] && echo "$p"
}
cr=$(find_a libcriterion.a) || true
bxf=$(find_a libboxfort.a) || true
pb=$(find_a libprotobuf-nanopb.a) || true
[ -n "$cr" ] || shared "no libcriterion.a"
[ -n "$bxf" ] || shared "no libboxfort.a (package libboxfort-dev)"
[ -n "$pb" ] || shared "no libprotobuf-nanopb.a (package libnanopb-dev)"
command -v objcopy > /dev/null && command -v ar > /dev/null || shared "no objcopy or ar (binutils)"

tmp=$(mktemp -d) || shared "no temporary folder"
trap 'rm -rf "$tmp"' EXIT
sections=$(objdump -h "$cr" 2> /dev/null | awk '$2 ~ /^\.text/ {print $2}' | sort -u)
[ -n "$sections" ] || shared "no code sections in $cr"
set --
for s in $sections; do set -- "$@" --rename-section "$s=criterion_text"; done
objcopy "$@" "$cr" "$tmp/cr.a" 2> "$tmp/err" || shared "objcopy: $(head -c 200 "$tmp/err")"
"$cc" -O2 -fPIE -c "$here/nogit.c" -o "$tmp/nogit.o" 2> "$tmp/err" || shared "nogit.c: $(head -c 200 "$tmp/err")"
printf 'CREATE %s\nADDLIB %s\nADDLIB %s\nADDLIB %s\nADDMOD %s\nSAVE\nEND\n' \
    "$tmp/kit.a" "$tmp/cr.a" "$bxf" "$pb" "$tmp/nogit.o" | ar -M 2> "$tmp/err" ||
    shared "ar: $(head -c 200 "$tmp/err")"
libs="-Wl,--as-needed -lnanomsg -lffi -lrt -lm -pthread"

# Proof before use: a test that passes, one that fails, and the section's bounds seen.
cat > "$tmp/t.c" << 'EOT'
#include <criterion/criterion.h>
extern const char __start_criterion_text[] __attribute__((weak));
extern const char __stop_criterion_text[] __attribute__((weak));
Test(kit, bounds) { cr_assert(__start_criterion_text && __stop_criterion_text > __start_criterion_text); }
Test(kit, fails) { cr_assert(0, "meant to fail"); }
EOT
# linked as the grader links a test runner: with gold where it is (build_fuse_ld())
ld=
[ -x /usr/bin/ld.gold ] && [ "${GRADE_LD:-}" != bfd ] && ld=-fuse-ld=gold
# shellcheck disable=SC2086 # libs is words
"$cc" -O2 $ld -o "$tmp/t" "$tmp/t.c" "$tmp/kit.a" $libs 2> "$tmp/err" ||
    shared "a test runner does not link: $(head -c 200 "$tmp/err")"
(cd "$tmp" && ./t --filter 'kit/bounds' > out 2>&1) || shared "a passing test fails: $(head -c 200 "$tmp/out")"
(cd "$tmp" && ./t --filter 'kit/fails' > out 2>&1) && shared "a failing test passes"
cp "$tmp/kit.a" "$kit.tmp" && mv "$kit.tmp" "$kit" || shared "cannot write $kit"
printf 'static\n%s\n' "$libs" > "$txt"

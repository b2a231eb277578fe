#!/bin/bash
# make_autograder.sh: a Gradescope autograder zip for one lab (`make autograder LAB=N`).
#
#   harness/engines/make_autograder.sh KIT LAB OUT.zip [VISIBILITY]
#
# The zip holds at its top setup.sh and run_autograder (harness/engines/gradescope/),
# engines.conf (the lab, and VISIBILITY: results.json's per-test visibility, e.g.
# "speed=after_due_date"), and kit/: the kit's tracked Makefile, harness/ and labs/
# (the skeletons stand in for a file that does not compile) and a VERSION file from
# `git describe`; solutions/ of this lab and of the labs it borrows from (lab 6: 2-5), the
# reference the grader runs a test again on to judge its values outside the student's
# process (harness/grader/values.c): setup.sh makes them root's alone, and the grader keeps
# them from every run (values_build). Never tests/, nor another lab's solution.
set -euo pipefail

kit=$(cd "$1" && pwd) lab=$2 out=$3 vis=${4:-}
[ -f "$kit/harness/labs/$lab/spec" ] || { echo "make_autograder: no lab $lab" >&2; exit 2; }
case "$vis" in *[!a-zA-Z0-9_.:=,-]*)
    echo "make_autograder: VISIBILITY is KEY=WHEN pairs, e.g. speed=after_due_date" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/kit"
(cd "$kit" && git ls-files -z --cached --others --exclude-standard -- Makefile .clang-format harness labs) |
    (cd "$kit" && xargs -0 cp --parents -t "$tmp/kit" --)
rm -f "$tmp/kit/labs/compile_flags.txt" # make writes it
for l in "$lab" $(awk '$1 == "borrow" { for (i = 2; i <= NF; i++) { sub(/:.*/, "", $i); print $i } }' \
    "$kit/harness/labs/$lab/spec" | sort -u); do
    (cd "$kit" && git ls-files -z --cached --others --exclude-standard -- "solutions/$l") |
        (cd "$kit" && xargs -0 -r cp --parents -t "$tmp/kit" --)
done
git -C "$kit" describe --always --dirty --tags >"$tmp/kit/VERSION" 2>/dev/null ||
    echo unknown >"$tmp/kit/VERSION"
cp "$kit/harness/engines/gradescope/setup.sh" "$kit/harness/engines/gradescope/run_autograder" \
    "$tmp/"
printf 'LAB=%s\nGRADESCOPE_VISIBILITY=%s\nGRADE_ARGS=\n' "$lab" "$vis" >"$tmp/engines.conf"
mkdir -p "$(dirname "$out")"
rm -f "$out"
python3 - "$tmp" "$out" <<'PY'
import os, sys, zipfile
top, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, top))  # keeps the mode: run_autograder stays +x
PY
echo "autograder: $out (lab $lab, $(python3 -c "import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))" "$out") files; upload it on Gradescope)"

#!/bin/bash
# classroom.sh: grade one lab for GitHub Classroom (.github/workflows/classroom.yml).
#
#   harness/engines/classroom.sh N        (from the kit's top; N: the lab's number)
#
# Builds the grader, grades labs/labN-*/ (CLASSROOM_SRC: another folder), re-times the
# speed cells that came out inconclusive (CLASSROOM_RETIME times, default 1: a shared
# runner is often busy), then writes the reporter's JSON to build/classroom/labN.json and,
# base64-encoded, as the step's `result` output ($GITHUB_OUTPUT), where the
# autograding-grading-reporter reads it: a score per item, partial credit.
# CLASSROOM_INCONCLUSIVE=regrade (default) reports a cell still inconclusive as an error
# with 0 points, left for the instructor's regrade (never as a fail); =credit gives it
# its points. CLASSROOM_GRADE_ARGS: more options for the grader (e.g. --no-speed).
# GRADE: the grader (default build/bin/grade; the kit's tests put a stand-in there).
# Exits 0 when it reported, whatever the score: the reporter decides the check's colour.
set -uo pipefail

n=${1:?usage: harness/engines/classroom.sh N}
kit=$(cd "$(dirname "$0")/../.." && pwd)
lab=$(cd "$kit/labs" && ls -d "lab$n"-* 2>/dev/null | head -n 1)
[ -n "$lab" ] || { echo "classroom: no lab $n in $kit/labs" >&2; exit 2; }
src=${CLASSROOM_SRC:-$kit/labs/$lab}
out="$kit/build/classroom"
retime=${CLASSROOM_RETIME:-1}
policy=${CLASSROOM_INCONCLUSIVE:-regrade}
report="$kit/harness/engines/classroom_report.py"
mkdir -p "$out"

if [ -z "${GRADE:-}" ]; then
    make -C "$kit" --no-print-directory -j"$(nproc 2>/dev/null || echo 1)" B=build tools \
        >"$out/build.log" 2>&1 ||
        { tail -n 30 "$out/build.log"; echo "classroom: the grader did not build" >&2; exit 2; }
    GRADE="$kit/build/bin/grade"
fi
export CRITERION_LIBS="${CRITERION_LIBS:-$(pkg-config --libs criterion 2>/dev/null || echo -lcriterion)}"

grade() { # grade OUT.json [options...]
    local json=$1
    shift
    # shellcheck disable=SC2086 # CLASSROOM_GRADE_ARGS is words
    "$GRADE" --root "$kit" --lab "$lab" --src "$src" --out "$json" --color never \
        ${CLASSROOM_GRADE_ARGS:-} "$@"
}

rm -f "$out/lab$n.results.json"
grade "$out/lab$n.results.json" --junit "$out/lab$n.xml"
[ -s "$out/lab$n.results.json" ] || { echo "classroom: the grader wrote no results" >&2; exit 2; }
seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["extra_data"]["seed"])' \
    "$out/lab$n.results.json")
for ((i = 0; i < retime; i++)); do
    cells=$(python3 "$report" inconclusive "$out/lab$n.results.json" | paste -sd, -)
    [ -n "$cells" ] || break
    echo "classroom: re-timing $cells (inconclusive on a busy runner)"
    rm -f "$out/lab$n.retimed.json"
    grade "$out/lab$n.retimed.json" --seed "$seed" --only "$cells"
    [ -s "$out/lab$n.retimed.json" ] || break
    python3 "$report" merge "$out/lab$n.results.json" "$out/lab$n.retimed.json" \
        >"$out/lab$n.merged.json" && mv "$out/lab$n.merged.json" "$out/lab$n.results.json"
done
python3 "$report" reporter "$out/lab$n.results.json" "$policy" >"$out/lab$n.json" || exit 2
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "result=$(base64 -w 0 <"$out/lab$n.json")" >>"$GITHUB_OUTPUT"
fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("classroom: %s, %g/%g points" % (d["status"], sum(t["score"] for t in d["tests"]), d["max_score"]))' "$out/lab$n.json"

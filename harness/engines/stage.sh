#!/bin/bash
# stage.sh: lay a submission out as the grader reads it, wherever its files sit.
#
#   harness/engines/stage.sh KIT LAB SUBMISSION DEST
#
# Copies each of the lab's `student` files (its spec) found anywhere in SUBMISSION to
# DEST/labs/LAB/, and each `borrow`ed file of an earlier lab (lab 6: lab4-gil:gil.c, ...)
# to DEST/labs/<that lab>/, where the grader looks beside the graded folder. Students
# upload files flat, in a folder of their own, or the whole kit: a file inside a folder
# named as its lab is preferred, then the one nearest the top. Only regular files are
# taken (never a link). A file found nowhere is left out: the grader says so, and the
# skeleton stands in. Prints what it took, one line a file.
set -euo pipefail

kit=$1 lab=$2 sub=$3 dest=$4
spec="$kit/harness/labs/$lab/spec"
[ -f "$spec" ] || { echo "stage: no lab $lab in $kit" >&2; exit 2; }

# The words after a declaration (`student a.c b.c`), one a line.
words() { sed -n "s/^$1[[:space:]]\+//p" "$spec" | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d'; }

# The best copy of NAME in the submission for LAB: inside a folder named LAB, else the
# shallowest; ties go to the first in name order (stable from run to run).
find_file() {
    local name=$1 want=$2
    find "$sub" -type f -name "$name" -not -path '*/__MACOSX/*' -not -path '*/.git/*' \
        -printf '%d %p\n' 2>/dev/null |
        awk -v w="/$want/" '{ print (index($0, w) ? 0 : 1), $0 }' |
        sort -k1,1n -k2,2n -k3 | head -n 1 | cut -d' ' -f3-
}

take() {
    local lab=$1 name=$2 from
    from=$(find_file "$name" "$lab")
    mkdir -p "$dest/labs/$lab"
    if [ -n "$from" ] && cp -- "$from" "$dest/labs/$lab/$name" 2>/dev/null; then
        echo "stage: $lab/$name <- ${from#"$sub"/}"
    else
        echo "stage: $lab/$name not in the submission"
    fi
}

mkdir -p "$dest/labs/$lab"
for f in $(words student); do
    take "$lab" "$f"
done
for b in $(words borrow); do
    take "${b%%:*}" "${b#*:}"
done
chmod -R a+rX "$dest"

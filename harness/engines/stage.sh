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
export LC_ALL=C

kit=$1 lab=$2 sub=$3 dest=$4
spec="$kit/harness/labs/$lab/spec"
[ -f "$spec" ] || { echo "stage: no lab $lab in $kit" >&2; exit 2; }

# The words after a declaration (`student a.c b.c`), one a line.
words() { sed -n "s/^$1[[:space:]]\+//p" "$spec" | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d'; }

# The best copy of NAME in the submission for LAB: inside a folder named LAB, else the
# shallowest; ties go to the first in name order (stable from run to run). Paths are read
# NUL-separated: a folder name with a newline in it is a name, not a second path (it once
# made the grader copy a file outside the submission: red team, stage_newline_path).
find_file() {
    local name=$1 want=$2 p rel slashes key best='' bestkey=''
    while IFS= read -r -d '' p; do
        rel=${p#"$sub"/}
        slashes=${rel//[!\/]/}
        case "/$rel" in
        */"$want"/*) key=0 ;;
        *) key=1 ;;
        esac
        key=$(printf '%s %06d' "$key" "${#slashes}")
        if [ -z "$best" ] || [[ $key < $bestkey ]] || { [ "$key" = "$bestkey" ] && [[ $p < $best ]]; }; then
            best=$p bestkey=$key
        fi
    done < <(find "$sub" -type f -name "$name" -not -path '*/__MACOSX/*' -not -path '*/.git/*' \
        -print0 2>/dev/null)
    printf '%s' "$best"
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

#!/usr/bin/env python3
"""batch_figures.py: a class's worth of submissions graded in one batch twice, one grading
after the other and then in parallel: the wall times and whether the scores agree.

    python3 tests/batch_figures.py [--lab lab2-threads] [--n 40] [--build build]

The submissions: copies of the solution, each mutant of tests/mutants/<lab>/ (a wrong
version), and copies of the skeleton, in turn until there are n. Both batches time every
speed cell; the parallel one tests several submissions at once and times the cells one
at a time when none tests (grade --parallel). It prints a Markdown table for the notes:
submissions, wall time of each batch, and every submission whose score or verdicts differ
(an inconclusive cell on a disturbed machine is reported as such, not as a difference of
the grader's). Run it on a quiet machine: every cell is timed, twice. Not part of make
test (about 25 minutes for 40 submissions of lab 2 on 2 cores).
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from mutant_patch import graded_text
from meta.common import batch_out

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replaces(path):
    """The student file a mutant replaces (its header's `replaces:` line)."""
    return re.search(r"replaces:\s*(\S+)", open(path).read().split("*/", 1)[0]).group(1)


def submissions(lab, n, dest):
    """n folders in dest: the solution, the mutants, the skeleton, in turn."""
    sol, skel = os.path.join(ROOT, "solutions", lab), os.path.join(ROOT, "labs", lab)
    mdir = os.path.join(ROOT, "tests", "mutants", lab)
    mutants = sorted(os.path.join(mdir, f) for f in os.listdir(mdir) if f.endswith(".patch"))
    kinds = []
    while len(kinds) < n:
        kinds.append(("solution", None))
        kinds += [("mutant", m) for m in mutants[:2]]
        mutants = mutants[2:] + mutants[:2]
        if len(kinds) % 10 == 9:
            kinds.append(("skeleton", None))
    for i, (kind, m) in enumerate(kinds[:n]):
        name = f"fig{i:02d}-{kind}" + (f"-{os.path.basename(m)[:-6]}" if m else "")
        to = os.path.join(dest, name)
        shutil.copytree(skel if kind == "skeleton" else sol, to)
        if m:
            with open(os.path.join(to, replaces(m)), "w") as f:
                f.write(graded_text(m))
    return sorted(os.listdir(dest))


def batch(build, lab, subs, parallel):
    """(wall seconds, {submission: (score, {item: verdict})}) of one batch."""
    cmd = [os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab, "--batch", subs,
           "--parallel", str(parallel), "--color", "never"]
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    wall = time.time() - t0
    got = {}
    for sub in os.listdir(subs):
        path = os.path.join(batch_out(subs), "submissions", sub, f"{lab}.json")
        if os.path.exists(path):
            r = json.load(open(path))
            got[sub] = (r["score"], {t["name"]: t.get("extra_data", {}).get("verdict")
                                     for t in r["tests"]})
    book = os.path.join(ROOT, "build", "batch", f"{lab}.csv")
    rows = len(list(csv.DictReader(open(book)))) if os.path.exists(book) else 0
    return wall, got, p.returncode, rows, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lab", default="lab2-threads")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--build", default="build")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    with tempfile.TemporaryDirectory(prefix="batch-figures-") as tmp:
        subs = os.path.join(tmp, "subs")
        os.mkdir(subs)
        names = submissions(a.lab, a.n, subs)
        runs = {}
        for par in (1, a.parallel):
            runs[par] = batch(build, a.lab, subs, par)
            wall, got, rc, rows, out = runs[par]
            print(f"--parallel {par}: {wall:.0f} s, exit {rc}, {len(got)} results, "
                  f"{rows} gradebook rows", flush=True)
            if len(got) != len(names):
                print(out[-3000:])
        shutil.rmtree(batch_out(subs), ignore_errors=True)
    (w1, g1, *_), (wp, gp, *_) = runs[1], runs[a.parallel]
    apart, busy = [], []
    for sub in names:
        (s1, v1), (sp, vp) = g1.get(sub, (None, {})), gp.get(sub, (None, {}))
        diff = {n: (v, vp.get(n)) for n, v in v1.items() if vp.get(n) != v}
        if not diff and s1 == sp:
            continue
        if all("inconclusive" in pair for pair in diff.values()):
            busy.append(f"{sub}: {', '.join(diff)} inconclusive in one of the two")
        else:
            apart.append(f"{sub}: score {s1} vs {sp}, {diff}")
    print(f"\n| {a.lab}, {len(names)} submissions | wall |\n|---|---|\n"
          f"| one after the other (`--parallel 1`) | {w1:.0f} s |\n"
          f"| in parallel (`--parallel {a.parallel}`) | {wp:.0f} s ({w1 / wp:.2f}x) |\n")
    print(f"scores and verdicts identical for {len(names) - len(apart) - len(busy)} of "
          f"{len(names)}")
    for line in busy:
        print(f"  inconclusive (a disturbed machine, not a difference): {line}")
    for line in apart:
        print(f"  DIFFERENT: {line}")
    return 1 if apart else 0


if __name__ == "__main__":
    sys.exit(main())

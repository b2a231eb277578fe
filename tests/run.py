#!/usr/bin/env python3
"""run.py: the kit's own tests: harness unit tests, then meta-tests of every lab.

Meta-tests grade real code with the real harness: the reference solution must score
full marks, the skeleton must read "not implemented" (not "wrong"), and every mutant
under tests/mutants/<lab>/ must get the verdicts its header declares. A check whose
verdict depends on timing is retried; if the harness still calls the machine too
disturbed to measure, the check is *skipped* with that reason, never passed or failed.
Ends with the line "N passed, N failed, N skipped".
"""
import argparse
import contextlib
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from mutant_patch import PatchError, graded_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING_TRIES = 3
counts = {"passed": 0, "failed": 0, "skipped": 0}
lock = threading.Lock()
QUIET_WORKERS = 3  # correctness-only checks mostly wait (timeouts, the kitchen): overlap them
# (4 measured worse in CI: 684 s for the quiet phase, 3,334 worker-seconds; 3: 635 s, 2,527)


check_clock = threading.local()  # t0: when the check this thread runs began


def say(status, what, detail="", n=1):
    t0 = getattr(check_clock, "t0", None)
    if t0 is not None:  # the check's wall time so far, for the log
        detail += f"{' ' if detail else ''}[{time.time() - t0:.0f} s]"
    with lock:
        counts[status] += n
        _say(status, what, detail)


def _say(status, what, detail):
    tag = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[status]
    print(f"{tag} {what}" + (f": {detail}" if detail else ""), flush=True)


def run_units(build, only):
    # the kitchen of this build (build/cov's under make test COVERAGE=1), not build/bin's
    env = dict(os.environ, KITCHEN_BIN=os.path.abspath(os.path.join(build, "bin", "kitchen")))
    for exe in sorted(glob.glob(os.path.join(build, "tests", "test_*"))):
        if not os.access(exe, os.X_OK) or exe.endswith(".d"):
            continue
        name = os.path.basename(exe)
        if only and not re.search(only, name):
            continue
        log = os.path.join(build, "tests", name + ".log")
        t0 = time.time()
        with open(log, "w") as f:
            # Criterion's runner puts itself in its own process group: an outer timeout
            # with -k, output to a file (not a pipe), and --jobs 1 (DESIGN.md).
            rc = subprocess.call(["timeout", "-k", "10", "300", exe, "--jobs", "1"],
                                 stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        text = open(log, errors="replace").read()
        m = re.search(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+)"
                      r" \| Crashing: (\d+)", text)
        took = f"{time.time() - t0:.1f} s"
        if not m:
            say("failed", f"unit {name}", f"no Criterion summary (exit {rc}), see {log}")
            continue
        tested, passing, failing, crashing = map(int, m.groups())
        skipped = len(re.findall(r"\[SKIP\]", text))
        if rc == 0 and failing == 0 and crashing == 0:
            say("passed", f"unit {name}", f"{passing} passed, {skipped} skipped, {took}",
                passing - skipped)
            if skipped:
                say("skipped", f"unit {name}", f"{skipped} tests skipped", skipped)
        else:
            fails = "; ".join(re.findall(r"\[FAIL\] (\S+)", text)[:5])
            say("failed", f"unit {name}", f"{failing} of {tested} failed ({fails}), see {log}",
                max(1, failing))


def run_patch_test(only):
    """tests/test_patch.py: the applier of mutant and hostile patches, and every patch
    of the corpus still applying to today's solutions."""
    if only and not re.search(only, "test_patch"):
        return
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "test_patch.py")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    m = re.search(r"^Ran (\d+) tests?", p.stdout, re.M)
    if p.returncode == 0 and m:
        return say("passed", "unit test_patch", f"{m.group(1)} passed", int(m.group(1)))
    say("failed", "unit test_patch", p.stdout[-3000:])


def no_make_env():
    """The environment without our make's variables: make test COVERAGE=1's B= and
    COVERAGE=1 reach every make below it, through MAKEFLAGS and the environment."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "COVERAGE", "B")}


def run_engine_tests(build, work):
    """tests/engines/test_engines.py: the Gradescope zip and the GitHub Classroom script,
    run as those services run them (about a minute, correctness only: a quiet check)."""
    # as Gradescope and a runner have it: no make of ours around
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "engines", "test_engines.py"),
                        "--build", build], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", cwd=ROOT, env=no_make_env())
    m = re.search(r"^Ran (\d+) tests?", p.stdout, re.M)
    skipped = re.search(r"skipped=(\d+)", p.stdout)
    n, sk = int(m.group(1)) if m else 0, int(skipped.group(1)) if skipped else 0
    if p.returncode == 0 and m:
        say("passed", "engines test_engines", f"{n - sk} passed", n - sk)
        return say("skipped", "engines test_engines", f"{sk} skipped", sk) if sk else None
    say("failed", "engines test_engines", p.stdout[-3000:])


def grade(build, lab, src, work, speed=None, seed=None, only=None, repeat=None, env=None):
    """Grade src with the real harness; returns (exit code, results dict, stdout).
    only: the items to grade (grade --only), None for all; repeat: grade --repeat;
    env: variables to set for the grader."""
    out = os.path.join(work, "results.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = [os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab, "--src", src,
           "--build", os.path.join(work, "build"), "--out", out, "--color", "never"]
    if speed is None:
        cmd.append("--no-speed")
    elif speed != "all":
        cmd += ["--speed", ",".join(speed)]
    if seed:
        cmd += ["--seed", str(seed)]
    if only:
        cmd += ["--only", ",".join(only)]
    if repeat:
        cmd += ["--repeat", str(repeat)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace", env={**os.environ, **(env or {})})
    stdout, _ = p.communicate(timeout=900)
    last_grader[threading.get_ident()] = p.pid
    results = json.load(open(out)) if os.path.exists(out) else None
    return p.returncode, results, stdout


def verdicts(results):
    return {t["name"]: t.get("extra_data", {}).get("verdict") for t in results["tests"]}


def seen_verdicts(results):
    """verdicts(), but a test a busy machine left inconclusive after timing out (or
    failing) on every attempt (correct.c) reads as what was seen each time: the grader
    declined to blame the code, and a mutant was still caught each time."""
    got = verdicts(results)
    for t in results["tests"]:
        text = t.get("output", "")
        if got.get(t["name"]) == "inconclusive" and t.get("extra_data", {}).get("kind") == "test":
            if "this test timed out" in text:
                got[t["name"]] = "timeout"
            elif "this test failed" in text:
                got[t["name"]] = "fail"
    return got


last_grader = {}  # thread -> pid of the grader it ran last
JAIL_UID_BASE = 2000000000  # jail.h: runs take this + the grader's pid as their uid


def leftovers(work, grader=None):
    """Processes still running a program from this work folder, or as the jail user of
    this thread's last grader (must be none)."""
    grader = grader or last_grader.get(threading.get_ident())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        if exe.startswith(work) or (grader and uid == JAIL_UID_BASE + grader):
            found.append(f"{pid} {exe}")
    return found


VERDICTS = ("pass", "fail", "not implemented", "timeout", "crash", "build error",
            "inconclusive", "skipped")


def corpus(kind, lab):
    """The files of tests/<kind>/<lab>/: patches of a solution file, and (hostile only)
    whole programs that are no solution copy."""
    return sorted(glob.glob(os.path.join(ROOT, "tests", kind, lab, "*.patch")) +
                  glob.glob(os.path.join(ROOT, "tests", kind, lab, "*.c")))


def plant(path, dest, replaces):
    """Write the file graded for a mutant or hostile file into the submission dest;
    raises PatchError when a patch no longer fits its solution."""
    text = graded_text(path)
    with open(os.path.join(dest, replaces), "w") as f:
        f.write(text)


def parse_mutant(path):
    head = open(path).read().split("*/", 1)[0]
    what = re.search(r"mutant:\s*(.+)", head)
    repl = re.search(r"replaces:\s*(\S+)", head)
    verdict = "|".join(VERDICTS)
    # "expect: NAME VERDICT" or "expect: NAME VERDICT or VERDICT" (e.g. a fork bomb that
    # fails or times out, depending on how fast the machine forks)
    expects = re.findall(rf"expect:\s*(.+?)\s+((?:{verdict})(?: or (?:{verdict}))*)\s*$",
                         head, re.M)
    if not what or not repl or not expects:
        return None
    return {"what": what.group(1).strip(), "replaces": repl.group(1),
            "expect": {name: verdict.strip() for name, verdict in expects}}


solution_results = {}  # lab -> the results of its solution's grading, for the hostile batches


def check_solution(build, lab, work):
    """The reference solution, every item and every speed cell: full marks. Its results
    are kept: the hostile corpus compares the correct submission it grades after its
    attacks with them, instead of grading the solution again before them."""
    why = ""
    for attempt in range(TIMING_TRIES):
        rc, res, out = grade(build, lab, os.path.join(ROOT, "solutions", lab), work, "all")
        if res is None:
            return say("failed", f"meta {lab}: solution", f"no results (exit {rc}):\n{out[-2000:]}")
        solution_results[lab] = res
        bad = {n: v for n, v in verdicts(res).items() if v != "pass"}
        if rc == 0 and not bad and res["score"] == res["max_score"] > 0:
            return say("passed", f"meta {lab}: solution scores full marks",
                       f"{res['score']:g}/{res['max_score']:g}")
        if any(v != "inconclusive" for v in bad.values()):
            return say("failed", f"meta {lab}: solution", f"not full marks: {bad}\n{out[-3000:]}")
        why = "; ".join(t["output"].splitlines()[0] for t in res["tests"]
                        if t.get("extra_data", {}).get("verdict") == "inconclusive")
    say("skipped", f"meta {lab}: solution", f"machine too disturbed to measure: {why}")


def check_skeleton(build, lab, work):
    rc, res, out = grade(build, lab, os.path.join(ROOT, "labs", lab), work, "all")
    if res is None:
        return say("failed", f"meta {lab}: skeleton", f"no results (exit {rc})")
    v = verdicts(res)
    tests = {n: x for n, x in v.items() if n in test_names(lab)}
    wrong = {n: x for n, x in tests.items() if x != "not implemented"}
    builds = {n: x for n, x in v.items() if n.startswith("build ") and x != "pass"}
    speed_ok = all(x in ("not implemented", "skipped") for n, x in v.items()
                   if n not in tests and not n.startswith("build "))
    if rc != 0 and res["score"] < res["max_score"] and not wrong and not builds and speed_ok \
            and "not implemented" in out:
        say("passed", f"meta {lab}: skeleton compiles and reads 'not implemented'",
            f"{len(tests)} tests, score {res['score']:g}/{res['max_score']:g}")
    else:
        say("failed", f"meta {lab}: skeleton",
            f"exit {rc}, not 'not implemented': {wrong or builds or v}")


def speed_cells(lab, names):
    """The speed cells among names (items of the lab's spec): what needs --speed, and
    makes a check timed. Tests, races and build items do not."""
    return sorted(n for n in names if n in spec_items(lab)["speed"])


def timing_tests(lab):
    """The tests the spec marks timing=sensitive: on a busy machine their failure reads
    inconclusive (correct.c), so a check that needs them to fail must run alone."""
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    return set(re.findall(r"^test\s+(\S+)\s+\S+\s+timing=sensitive\b", spec, re.M))


def needs_quiet(lab, names):
    """Speed cells, or timing-sensitive tests a mistake must fail: the check runs alone."""
    return bool(speed_cells(lab, names)) or bool(timing_tests(lab) & set(names))


def test_names(lab):
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    return set(re.findall(r"^test\s+(\S+)", spec, re.M))


def solution_copy(lab, dst):
    """A copy of the lab's solution in dst, with the files it borrows from earlier labs
    (spec `borrow lab4-gil:gil.c`) at its top, where the grader also looks for them."""
    shutil.copytree(os.path.join(ROOT, "solutions", lab), dst)
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    for line in re.findall(r"^borrow\s+(.*)$", spec, re.M):
        for entry in line.split():
            other, name = entry.split(":", 1)
            shutil.copy(os.path.join(ROOT, "solutions", other, name), os.path.join(dst, name))


def check_mutant(build, lab, path, work):
    m = parse_mutant(path)
    name = f"meta {lab}: mutant {os.path.basename(path)}"
    if m is None:
        return say("failed", name, "header lacks mutant:/replaces:/expect: lines")
    try:
        graded_text(path)
    except PatchError as e:
        return say("failed", name, str(e))
    speed = speed_cells(lab, m["expect"])
    src = os.path.join(work, "src")
    why = ""
    for attempt in range(TIMING_TRIES if speed else 1):
        shutil.rmtree(src, ignore_errors=True)
        solution_copy(lab, src)
        plant(path, src, m["replaces"])
        # only the items the header names (and what they need): a mutant is judged on
        # them, and the rest would only cost time
        only = [n for n in m["expect"] if not n.startswith("build ")] or None
        rc, res, out = grade(build, lab, src, work, speed or None, only=only)
        left = leftovers(work)
        if left:
            return say("failed", name, f"processes left running: {left}")
        if res is None:
            return say("failed", name, f"no results (exit {rc}):\n{out[-2000:]}")
        got = seen_verdicts(res)
        off = {n: (want, got.get(n)) for n, want in m["expect"].items()
               if got.get(n) not in want.split(" or ")}
        # a mutant that is no mistake (all "pass") must not be caught; any other must
        harmless = all(v == "pass" for v in m["expect"].values())
        if not off and (rc != 0) != harmless:
            return say("passed", name, m["what"])
        if any(g != "inconclusive" for _, g in off.values()) or not off:
            return say("failed", name,
                       f"{m['what']}: want/got {off or 'a full score: the mutant was not caught'}"
                       f"\n{out[-3000:]}")
        why = "; ".join(f"{n} inconclusive" for n in off)
    say("skipped", name, f"machine too disturbed to measure: {why}")


def check_repeat(build, lab, work):
    """grade --repeat N: the solution passes under every seed; a mutant that fails under
    any seed has its item failed, naming the seed."""
    name = f"meta {lab}: grade --only ... --repeat 3 (seed sweeps)"
    src = os.path.join(work, "src")
    solution_copy(lab, src)
    rc, res, out = grade(build, lab, src, work, only=["seq_map"], repeat=3)
    if rc != 0 or not res or res["score"] != res["max_score"] or "run 3 times" not in out:
        return say("failed", name, f"the solution, 3 seeds: exit {rc}\n{out[-2000:]}")
    plant(os.path.join(ROOT, "tests", "mutants", lab, "seq_map_null_empty.patch"), src, "seq.c")
    rc, res, out = grade(build, lab, src, work, only=["seq_map::no_jobs"], repeat=2)
    item = res["tests"][-1].get("output", "") if res and res["tests"] else ""
    if rc == 0 or "seed " not in item or "(run 2 of 2)" not in item:
        return say("failed", name, f"a mutant under 2 seeds: exit {rc}\n{out[-2000:]}")
    return say("passed", name, "3 seeds of the solution full; a mutant's item names the seed")


def check_batch(build, lab, work):
    """Batch mode: three submissions in three layouts, one of them broken, one a fork bomb."""
    name = f"meta {lab}: batch grading and the CSV gradebook"
    subs = os.path.join(work, "subs")
    shutil.rmtree(subs, ignore_errors=True)
    sol = os.path.join(ROOT, "solutions", lab)
    shutil.copytree(sol, os.path.join(subs, "ada", "labs", lab))       # a clone of the kit
    shutil.copytree(os.path.join(ROOT, "labs", lab), os.path.join(subs, "bob", lab))
    shutil.copytree(sol, os.path.join(subs, "cy"))                     # files at the top
    broken = glob.glob(os.path.join(ROOT, "tests", "mutants", lab, "*syntax_error*.patch"))
    if broken:
        plant(broken[0], os.path.join(subs, "cy"), parse_mutant(broken[0])["replaces"])
    out_root = os.path.join(ROOT, "build", "batch")
    csv_path = os.path.join(out_root, f"{lab}.csv")
    with gradebook(lab).exclusive():  # a hostile batch would write over the CSV it reads
        rc, out, _, pid = run_batch(build, lab, subs, None)
        rows = list(csv.DictReader(open(csv_path))) if os.path.exists(csv_path) else None
    if rc != 0 or rows is None:
        return say("failed", name, f"exit {rc}:\n{out[-2000:]}")
    rows = {r["submission"]: r for r in rows}
    want_full = json.load(open(os.path.join(out_root, "ada", f"{lab}.json")))["max_score"]
    problems = []
    if set(rows) != {"ada", "bob", "cy"}:
        problems.append(f"rows {sorted(rows)}")
    elif float(rows["ada"]["score"]) != want_full:
        problems.append(f"ada (the solution) scored {rows['ada']['score']}, not {want_full}")
    elif float(rows["bob"]["score"]) != 0:
        problems.append(f"bob (the skeleton) scored {rows['bob']['score']}")
    elif broken and not 0 < float(rows["cy"]["score"]) < want_full:
        problems.append(f"cy (one file broken) scored {rows['cy']['score']}")
    left = leftovers(subs, pid)
    if left:
        problems.append(f"processes left: {left}")
    if problems:
        return say("failed", name, "; ".join(problems))
    scores = ", ".join(k + " " + v["score"] for k, v in sorted(rows.items()))
    say("passed", name, f"3 submissions scored: {scores}")


def parse_hostile(path):
    head = open(path).read().split("*/", 1)[0]
    what = re.search(r"hostile:\s*(.+)", head)
    repl = re.search(r"replaces:\s*(\S+)", head)
    verdict = "|".join(VERDICTS)
    expects = re.findall(rf"expect:\s*(.+?)\s+((?:{verdict})(?: or (?:{verdict}))*)\s*$",
                         head, re.M)
    denies = re.findall(r"denies:\s*(.+?)\s*$", head, re.M)
    gap = re.search(r"open:\s*(.+)", head)  # a known gap: reported as skipped, with why
    strict = re.search(r"^\s*\*?\s*strict:", head, re.M)  # no inconclusive for timeout/fail
    leaks = re.findall(r"leaks:\s*(.+?)\s*$", head, re.M)  # must not reach its results
    if not what or not repl or not (expects or denies):
        return None
    return {"what": what.group(1).strip(), "replaces": repl.group(1),
            "expect": {n: v.strip() for n, v in expects}, "denies": denies, "leaks": leaks,
            "open": gap.group(1).strip() if gap else None, "strict": bool(strict)}


def correct_after(lab, res, before, after):
    """Problems of the correct submission `after` graded at the end of a hostile batch:
    each of its items must have the verdict and score it had in `before` (the solution's
    own grading, or a correct submission before the attacks; the items after grades), and
    pass or read inconclusive."""
    got, speed = res.get(after), spec_items(lab)["speed"]
    if got is None or any(b is None for b in before):
        return [f"the correct submissions have no results: {after} {got and got['score']}"]
    want = {t["name"]: (t.get("extra_data", {}).get("verdict"), t["score"])
            for t in before[0]["tests"]}
    have = {t["name"]: (t.get("extra_data", {}).get("verdict"), t["score"]) for t in got["tests"]}
    # a timed item may read pass in one and inconclusive in the other (a disturbed
    # machine), and a speed cell's score is not the same number twice
    apart = {n: (want.get(n), v) for n, v in have.items() if want.get(n) != v and not (
        "inconclusive" in (v[0], want.get(n, ("",))[0]) or
        (n in speed and v[0] == want.get(n, ("",))[0]))}
    if apart:
        return [f"the correct submission after the attacks scored apart from the one before "
                f"(before, after): {apart}"]
    lost = {n: v for n, (v, _) in have.items() if v not in ("pass", "inconclusive")}
    return [f"the correct submission lost items: {lost}"] if lost else []


def left_by(pids):
    """What graders `pids` left in the temporary folder: anything of their jail users
    (Criterion's sockets, the compiler's files) and their boxes (whose out/ is the jail
    user's). What else runs on the machine is not counted."""
    uids = {JAIL_UID_BASE + p for p in pids}
    tmp, found = tempfile.gettempdir(), []
    for name in os.listdir(tmp):
        path = os.path.join(tmp, name)
        try:
            uid = os.lstat(path).st_uid
            if name.startswith("restaurant-lab-"):
                uid = os.lstat(os.path.join(path, "out")).st_uid
        except OSError:
            continue
        if uid in uids:
            found.append(name)
    return sorted(found)


def run_batch(build, lab, subs, speed, only=None, only_for=None):
    """Grade every folder in subs in one batch (--only the items `only` names, if any;
    a folder that only_for names, on its own items alone: --only-for); returns (exit,
    output, results, grader pid)."""
    # --parallel 1: one grader process, whose pid names the jail user that left_by() and
    # leftovers() look for (parallel graders' runs are their children's, unseen here)
    cmd = [os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab, "--batch", subs,
           "--parallel", "1", "--color", "never"] + \
        (["--speed", ",".join(speed)] if speed else ["--no-speed"]) + \
        (["--only", ",".join(only)] if only else []) + \
        [f"--only-for={sub}={','.join(items)}" for sub, items in sorted((only_for or {}).items())]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace")
    out, _ = p.communicate(timeout=3600)
    res = {}
    for sub in os.listdir(subs):
        j = os.path.join(ROOT, "build", "batch", sub, f"{lab}.json")
        res[sub] = json.load(open(j)) if os.path.exists(j) else None
    return p.returncode, out, res, p.pid


HOSTILE_BATCH = 4  # attacks a quiet batch at most: a batch of 8 was the run's longest job


def hostile_jobs(lab):
    """The lab's corpus in batches, each attack graded once: those that aim only at tests
    graded without speed cells (quiet: beside other checks; split in even batches of at
    most HOSTILE_BATCH), and those that name a speed cell in one batch with those cells
    (timed: alone). Returns (the quiet batches, the timed one)."""
    timed, quiet = [], []
    for f in corpus("hostile", lab):
        h = parse_hostile(f)
        (timed if h and speed_cells(lab, list(h["expect"]) + h["denies"]) else quiet).append(f)
    n = -(-len(quiet) // HOSTILE_BATCH)
    return [quiet[i::n] for i in range(n)], timed


class Gradebook:
    """One lab's build/batch/<lab>.csv: the batch check reads it back, so it holds it alone
    (exclusive); hostile batches only write it, and may overlap (shared)."""

    def __init__(self):
        self.cv, self.sharing, self.alone = threading.Condition(), 0, False

    @contextlib.contextmanager
    def exclusive(self):
        with self.cv:
            self.cv.wait_for(lambda: not self.alone and not self.sharing)
            self.alone = True
        try:
            yield
        finally:
            with self.cv:
                self.alone = False
                self.cv.notify_all()

    @contextlib.contextmanager
    def shared(self):
        with self.cv:
            self.cv.wait_for(lambda: not self.alone)
            self.sharing += 1
        try:
            yield
        finally:
            with self.cv:
                self.sharing -= 1
                self.cv.notify_all()


gradebooks = {}  # lab -> Gradebook


def gradebook(lab):
    with lock:
        return gradebooks.setdefault(lab, Gradebook())


def judged(h, got, strict):
    """What an attack's verdicts `got` break of its header h: the expected verdicts it did
    not get ({item: (want, got)}) and the denied items it passed. Unless strict, a timeout
    or failure the machine's load may explain reads inconclusive (run again, then said so;
    correct.c) and satisfies an expected timeout or fail: it earns nothing either."""
    off = {n: (w, got.get(n)) for n, w in h["expect"].items()
           if got.get(n) not in w.split(" or ") and (strict or not (
               got.get(n) == "inconclusive" and {"timeout", "fail"} & set(w.split(" or "))))}
    return off, [n for n in h["denies"] if got.get(n) == "pass"]


def said(results, names, width=300):
    """What the grader told the student about items `names`, for a failed check's log."""
    out = {t["name"]: t.get("output", "") for t in results["tests"]}
    text = "".join(f"\n  {n}: {out[n][:width]!r}" for n in names if out.get(n))
    return f"; it said:{text}" if text else ""


def regrade_starved(build, lab, work, subs, starved, own):
    """Attacks whose only wrong verdicts are inconclusive ones (a strict attack's timeouts,
    or an item it should pass, on a machine too busy: correct.c): graded once more, alone. Returns (problems, skips): a
    verdict that is still off for another reason is a problem; one that is inconclusive
    again is skipped with the grader's reason (the machine stayed too busy to judge)."""
    problems, skips = [], []
    again = os.path.join(work, "again")
    os.mkdir(again)
    for sub in starved:
        shutil.copytree(os.path.join(subs, sub), os.path.join(again, sub), symlinks=True)
    items = sorted({n for sub in starved for n in own[sub]})
    with gradebook(lab).shared():
        rc, out, res, _ = run_batch(build, lab, again, None, items,
                                    {sub: own[sub] for sub in starved if own[sub]})
    if rc != 0:
        return [f"the batch of starved attacks exited {rc}:\n{out[-3000:]}"], skips
    for sub, h in sorted(starved.items()):
        off, won = judged(h, verdicts(res[sub]) if res.get(sub) else {}, strict=True)
        if not off and not won:
            continue
        if not won and all(g == "inconclusive" for _, g in off.values()):
            why = re.search(r"busy \((.*?)\): rerun", said(res[sub], list(off), 1000))
            skips.append(f"{sub}: {', '.join(off)} read inconclusive twice, the machine too "
                         f"busy to judge them ({why.group(1) if why else 'the grader said so'})")
            continue
        told = said(res[sub], list(dict.fromkeys(list(off) + won))) if res.get(sub) else ""
        problems.append(f"{sub} ({h['what']}), graded again alone: want/got {off}, earned "
                        f"{won}{told}")
    for sub in res:
        shutil.rmtree(os.path.join(ROOT, "build", "batch", sub), ignore_errors=True)
    return problems, skips


def check_hostile(build, lab, files, speed, tag, work):
    """Attacks of the hostile corpus, graded in one batch before a correct submission: the
    batch finishes, each attack gets its declared verdicts and none of the items it would
    earn dishonestly, the correct one scores as the solution did when graded alone (or, if
    this run did not grade it, as a correct one graded before the attacks), no process is
    left, the kit's files did not change, and the grader left nothing in the temporary
    folder. With `speed`, the attacks' speed cells are timed (and their tests run)."""
    name = f"meta {lab}: hostile corpus {tag}"
    attacks, problems, gaps = {}, [], []
    subs = os.path.join(work, "subs")
    uniq = os.path.basename(work)  # batch results land in build/batch/<name>/: no clashes
    for path in files:
        h = parse_hostile(path)
        if h is None:
            problems.append(f"{os.path.basename(path)}: header lacks hostile:/replaces:/"
                            "expect: or denies:")
            continue
        h["speed"] = speed_cells(lab, list(h["expect"]) + h["denies"])
        sub = f"{os.path.splitext(os.path.basename(path))[0]}-{uniq}"
        solution_copy(lab, os.path.join(subs, sub))  # lab 6: with the files it borrows
        try:
            plant(path, os.path.join(subs, sub), h["replaces"])
        except PatchError as e:
            problems.append(str(e))
            continue
        planted = os.path.join(subs, sub, h["replaces"])
        with open(planted) as f:  # @KIT@: the kit's folder, for attacks that read it
            text = f.read()
        with open(planted, "w") as f:
            f.write(text.replace("@KIT@", ROOT))
        attacks[sub] = h
    ref = solution_results.get(lab)
    correct = ([] if ref else [f"0-correct-{uniq}"]) + [f"zz-correct-{uniq}"]
    for c in correct:
        solution_copy(lab, os.path.join(subs, c))
    cells = sorted({n for h in attacks.values() for n in h["speed"]}) if speed else None
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE).stdout
    t0 = time.time()
    # each attack on the items it names alone (--only-for): the rest would judge nothing,
    # and cost an attack that hangs every test it is given limit + 3 s each; the correct
    # ones on all the attacks' items (compared where graded)
    own = {sub: sorted({n for n in list(h["expect"]) + h["denies"] if not n.startswith("build ")})
           for sub, h in attacks.items()}
    only = sorted({n for items in own.values() for n in items})
    with gradebook(lab).shared():
        rc, out, res, pid = run_batch(build, lab, subs, cells, only,
                                      {sub: items for sub, items in own.items() if items})
    took = time.time() - t0
    spent = {}  # attack -> seconds its items took (its JUnit file), for the log
    starved, busy = {}, []  # attacks a busy machine left inconclusive, and nothing else
    if rc != 0:
        problems.append(f"the batch exited {rc}:\n{out[-3000:]}")
    problems += correct_after(lab, res, [ref] if ref else [res.get(correct[0])], correct[-1])
    for sub, h in sorted(attacks.items()):
        if res.get(sub) is None:
            problems.append(f"{sub}: no results")
            continue
        got = verdicts(res[sub])
        off, won = judged(h, got, h["strict"])
        # a file the run or the compiler must not reach, quoted in the student's results
        junit = os.path.join(ROOT, "build", "batch", sub, f"{lab}.xml")
        xml = open(junit, errors="replace").read() if os.path.exists(junit) else ""
        seen = json.dumps(res[sub], ensure_ascii=False) + xml
        spent[sub] = sum(map(float, re.findall(r'<testcase [^>]*\btime="([\d.]+)"', xml)))
        leaked = [f"leaks {s!r}" for s in h["leaks"] if s in seen]
        if leaked and "sandbox: no namespaces" in out:  # nothing can be hidden: say so
            gaps.append(f"{sub}: without namespaces a run reads the kit ({leaked})")
        else:
            won += leaked
        errs = [n for n, v in got.items() if v == "harness error"]
        if (off or won) and h["open"] and not errs:
            gaps.append(f"{sub}: {h['open']}")
        elif off and not won and not errs and all(g == "inconclusive" for _, g in off.values()):
            starved[sub] = h  # strict: a machine too busy to judge it; graded again alone
        elif off or won or errs:
            told = said(res[sub], list(dict.fromkeys(list(off) + won)))
            problems.append(f"{sub} ({h['what']}): want/got {off}, earned {won}, "
                            f"harness errors {errs}{told}")
    if starved:
        again, busy = regrade_starved(build, lab, work, subs, starved, own)
        problems += again
    left = leftovers(work, pid)
    if left:
        problems.append(f"processes left: {left}")
    after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, text=True,
                           stdout=subprocess.PIPE).stdout
    if after != status:
        problems.append(f"the kit's files changed: {after}")
    stray = left_by([pid])
    if stray:
        problems.append(f"left in {tempfile.gettempdir()}: {stray[:8]}")
    for sub in res:
        shutil.rmtree(os.path.join(ROOT, "build", "batch", sub), ignore_errors=True)
    if problems:
        return say("failed", name, "\n".join(problems))
    slow = ", ".join(f"{sub[:-len(uniq) - 1]} {s:.0f}" for sub, s in
                     sorted(spent.items(), key=lambda kv: -kv[1])[:3])
    say("passed", name, f"{len(attacks) - len(gaps) - len(busy)} attacks and "
        f"{len(correct)} correct, "
        f"{took:.0f} s (slowest attacks, s: {slow}), none earned dishonestly, nothing left"
        + (", the correct one as the solution alone" if ref else ""))
    for g in gaps:
        say("skipped", f"{name}: known gap", g)
    for b in busy:
        say("skipped", f"{name}: machine too busy", b)


def check_private(build, work):
    """As root, the kit in a folder only root can enter: lab 1's solution and lab 6's (which
    builds every other lab's files from their folders, and the sanitizer drivers) grade
    full. The grader is this run's (build's tools, copied to where make tools puts them in
    the kit: it finds its kitchen and libharness.a beside itself), not one built again."""
    name = "meta private folder: as root, mode 700, labs 1 and 6 full"
    if os.geteuid() != 0:
        return say("skipped", name, "needs root")
    priv = os.path.join(work, "priv")
    os.mkdir(priv, 0o700)
    kit = os.path.join(priv, "kit")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE)
    for rel in tracked.stdout.decode().split("\0"):
        if rel and os.path.exists(os.path.join(ROOT, rel)):
            os.makedirs(os.path.dirname(os.path.join(kit, rel)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, rel), os.path.join(kit, rel))
    for tool in ("bin/grade", "bin/kitchen", "harness/libharness.a"):
        os.makedirs(os.path.dirname(os.path.join(kit, "build", tool)), exist_ok=True)
        shutil.copy2(os.path.join(build, tool), os.path.join(kit, "build", tool))
    bad = []
    for specf in sorted(glob.glob(os.path.join(kit, "harness", "labs", "lab[16]-*", "spec"))):
        lab = os.path.basename(os.path.dirname(specf))
        out = os.path.join(priv, lab + ".json")
        q = subprocess.run([os.path.join(kit, "build", "bin", "grade"), "--root", kit, "--lab",
                            lab, "--src", os.path.join(kit, "solutions", lab), "--out", out,
                            "--no-speed", "--color", "never"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
        if q.returncode != 0:
            bad.append(f"{lab}: exit {q.returncode}\n{q.stdout[-1500:]}")
    if bad:
        return say("failed", name, "\n".join(bad))
    say("passed", name, "tests of labs 1 and 6 full, as root from a mode-700 folder")


def check_faults(build, work):
    """The grader's own faults read as harness errors (ERR!, exit 3), never as the
    student's: no compiler, a kitchen that does not start, and one that dies mid-run (what
    failed after it is not judged)."""
    name = "meta faults: the grader's own failures read 'harness error', exit 3"
    lab = "lab1-baselines"
    sol = os.path.join(ROOT, "solutions", lab)
    bad = []
    # a grader copy whose kitchen exits at once
    bindir = os.path.join(work, "kit", "bin")
    os.makedirs(bindir)
    os.makedirs(os.path.join(work, "kit", "harness"))
    shutil.copy(os.path.join(build, "bin", "grade"), bindir)
    shutil.copy(os.path.join(build, "harness", "libharness.a"), os.path.join(work, "kit", "harness"))
    with open(os.path.join(bindir, "kitchen"), "w") as f:
        f.write("#!/bin/sh\nexit 1\n")
    os.chmod(os.path.join(bindir, "kitchen"), 0o755)
    # and one whose kitchen is killed a second after it started, in the middle of the tests
    dies = os.path.join(work, "dies", "bin")
    os.makedirs(dies)
    shutil.copytree(os.path.join(work, "kit", "harness"), os.path.join(work, "dies", "harness"))
    shutil.copy(os.path.join(build, "bin", "grade"), dies)
    shutil.copy(os.path.join(build, "bin", "kitchen"), os.path.join(dies, "kitchen.real"))
    with open(os.path.join(dies, "kitchen"), "w") as f:
        f.write(f"#!/bin/sh\nexec timeout -s KILL 1 {os.path.join(dies, 'kitchen.real')} \"$@\"\n")
    os.chmod(os.path.join(dies, "kitchen"), 0o755)
    for what, grader, env in (
            ("no compiler", os.path.join(build, "bin", "grade"), {"CC_PATH": "/nonexistent/cc"}),
            ("the kitchen does not start", os.path.join(bindir, "grade"), {}),
            ("the kitchen dies mid-run", os.path.join(dies, "grade"), {})):
        out = os.path.join(work, "r.json")
        junit = os.path.join(work, "r.xml")
        for f in (out, junit):
            if os.path.exists(f):
                os.remove(f)
        p = subprocess.run([grader, "--root", ROOT, "--lab", lab, "--src", sol, "--out", out,
                            "--junit", junit, "--build", os.path.join(work, "b"), "--no-speed",
                            "--color", "never"], text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=dict(os.environ, **env), timeout=600)
        res = json.load(open(out)) if os.path.exists(out) else None
        errs = [n for n, v in verdicts(res).items() if v == "harness error"] if res else []
        fails = [n for n, v in verdicts(res).items()
                 if v not in ("harness error", "pass")] if res else []
        xml = open(junit).read() if os.path.exists(junit) else ""
        if p.returncode != 3 or not errs or fails or "<error" not in xml or \
                "harness error, not your code" not in p.stdout or "ERR!" not in p.stdout:
            bad.append(f"{what}: exit {p.returncode}, harness errors {errs}, other verdicts "
                       f"{fails}:\n{p.stdout[-1200:]}")
    if bad:
        return say("failed", name, "\n".join(bad))
    say("passed", name, "no compiler; a kitchen that does not start; one that dies mid-run")


def check_release(build, work):
    name = "meta release: the student copy has no solutions/ and no tests/"
    p = subprocess.run(["make", "--no-print-directory", "release", f"B={work}/rel"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tar = os.path.join(work, "rel", "release", "restaurant-lab-student.tar.gz")
    if p.returncode or not os.path.exists(tar):
        return say("failed", name, p.stdout[-1500:])
    files = subprocess.run(["tar", "tzf", tar], stdout=subprocess.PIPE, text=True).stdout.split()
    bad = [f for f in files if "/solutions/" in f or "/tests/" in f]
    need = [f"restaurant-lab/{d}" for d in ("Makefile", "README.md", "labs/", "handouts/",
                                            "harness/")]
    missing = [n for n in need if not any(f.startswith(n) for f in files)]
    if bad or missing:
        return say("failed", name, f"leaked {bad[:5]}, missing {missing}")
    say("passed", name, f"{len(files)} entries")


def check_objcache(build, work):
    """The kit's objects (tests.c, the drivers, the library with sanitizers) compiled by one
    grading and taken from the cache by the next (objcache.c): every one found, none
    compiled again, and the same verdicts and scores. Lab 2: its race driver's objects are
    built with ThreadSanitizer too."""
    name = "meta objcache: a second grading takes the kit's objects from the cache"
    lab, env = "lab2-threads", {"GRADE_OBJ_CACHE": os.path.join(work, "cache")}
    seen = []
    for _ in range(2):
        rc, res, out = grade(build, lab, os.path.join(ROOT, "solutions", lab), work, env=env)
        log = os.path.join(work, "build", "logs", "objcache.log")
        said = open(log).read().strip() if os.path.exists(log) else "no objcache.log"
        m = re.search(r"objects: (\d+) from .*, (\d+) compiled", said)
        if res is None or not m:
            return say("failed", name, f"exit {rc}, {said}:\n{out[-2000:]}")
        seen.append((int(m.group(1)), int(m.group(2)), verdicts(res), res["score"]))
    (hit1, made1, v1, s1), (hit2, made2, v2, s2) = seen
    if hit1 != 0 or made1 == 0 or hit2 != made1 or made2 != 0 or v1 != v2 or s1 != s2:
        return say("failed", name, f"first {hit1} found, {made1} compiled, score {s1}; second "
                   f"{hit2} found, {made2} compiled, score {s2}; verdicts apart: "
                   f"{ {n: (v, v2.get(n)) for n, v in v1.items() if v2.get(n) != v} }")
    say("passed", name, f"{made1} compiled once, then all {hit2} found; {s2:g} points both times")


def check_loop(work):
    """The student's loop in the student release: make help, make run (list, a timing)."""
    name = "meta loop: make help/run work in the student release"
    sh = lambda cmd, cwd: subprocess.run(cmd, cwd=cwd, shell=True, text=True, timeout=600,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p = sh(f"make --no-print-directory release B={work}/rel && tar xzf "
           f"{work}/rel/release/restaurant-lab-student.tar.gz -C {work}", ROOT)
    kit = os.path.join(work, "restaurant-lab")
    h, v = sh("make help", kit), sh("make run LAB=2", kit)
    r = sh("make run LAB=1 VERSION=ref WORKLOAD=io JOBS=2 RUNS=1", kit)
    n = sh("make run LAB=1 VERSION=seq RUNS=1", kit)
    bad = [what for what, ok in (
        ("release", p.returncode == 0), ("help lists make test or SOLUTION", "make test" not in
                                         h.stdout and "SOLUTION" not in h.stdout),
        ("versions", "versions: seq, ref" not in v.stdout and "versions: threads, ref" in v.stdout),
        ("timing", r.returncode == 0 and re.search(r"ref +0\.[1-4]\d\d s .* 1\.00x", r.stdout)),
        ("skeleton", n.returncode != 0 and "seq: not implemented: seq_map()" in n.stdout))
        if not ok]
    say("failed" if bad else "passed", name, "; ".join(bad) + (r.stdout + n.stdout)[-800:] * bool(bad))


def check_browser(build, work):
    """The HTML report of a real run, rendered by headless Chromium at a phone's width:
    the DOM shows the run's score and every item with its verdict, the figures beside
    the page, nothing wider than the screen; the screenshot is a real picture."""
    name = "meta browser: the HTML report of lab 2, rendered by headless Chromium"
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        return say("skipped", name, "no chromium (apt-get install chromium)")
    import html.parser
    res, lab = os.path.join(work, "results"), "lab2-threads"
    os.makedirs(os.path.join(res, "lab2-timelines"))
    svg = "<svg xmlns='http://www.w3.org/2000/svg' width='600' height='80'><rect width='600' " \
          "height='80' fill='#{}'/></svg>"
    for rel, colour in (("lab2.svg", "c00"), ("lab2-timelines/serve.svg", "0a0"),
                        ("matrix.svg", "00c")):  # stand-ins for the figures of other modules
        open(os.path.join(res, rel), "w").write(svg.format(colour))
    out = os.path.join(res, "lab2.json")
    p = subprocess.run([os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab, "--src",
                        os.path.join(ROOT, "solutions", lab), "--build", os.path.join(work, "b"),
                        "--out", out, "--html", os.path.join(res, "lab2.html"), "--no-speed",
                        "--color", "never"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", timeout=900)
    page = os.path.join(res, "index.html")
    if not os.path.exists(out) or not os.path.exists(page):
        return say("failed", name, f"grade exited {p.returncode}, no {out} or no index.html:\n"
                   f"{p.stdout[-1500:]}")
    results = json.load(open(out))
    # a copy that records its own width once laid out: the report itself has no script
    probe = os.path.join(res, "probe.html")
    open(probe, "w").write(open(page).read().replace(
        "</body>", "<script>document.body.dataset.sw = document.documentElement.scrollWidth + "
        "' of ' + innerWidth</script></body>"))
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--window-size=412,915", f"--user-data-dir={work}/profile"]
    dom = subprocess.run(flags + ["--dump-dom", "file://" + probe], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
    png = os.path.join(work, "shot.png")
    subprocess.run(flags + [f"--screenshot={png}", "file://" + page], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)

    class Dom(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.items, self.imgs, self.got, self.sw, self.cur, self.field = {}, [], *[None] * 4

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.field = a.get("class") if a.get("class") in ("name", "got") else None
            if "data-verdict" in a:
                self.cur = a["data-verdict"]
            self.imgs += [a["src"]] if tag == "img" else []
            self.sw = a.get("data-sw", self.sw) if tag == "body" else self.sw

        def handle_data(self, data):
            if self.field == "got":
                self.got = data
            elif self.field == "name":
                self.items[data] = self.cur
            self.field = None

    d = Dom()
    d.feed(dom.replace("<wbr>", ""))
    bad = []
    if d.got != f"{results['score']:g}":
        bad.append(f"the page's score is {d.got}, results.json's {results['score']:g}")
    for t in results["tests"]:
        if d.items.get(t["name"]) != t["extra_data"]["verdict"]:
            bad.append(f"{t['name']}: {d.items.get(t['name'])} on the page, "
                       f"{t['extra_data']['verdict']} in results.json")
    for src in ("lab2.svg", "lab2-timelines/serve.svg", "matrix.svg"):
        if src not in d.imgs:
            bad.append(f"no <img src={src}> (the page shows {d.imgs})")
    width, screen = map(int, (d.sw or "0 of 0").split(" of "))
    if not screen or width > screen or screen > 600:  # headless's narrowest window is 500
        bad.append(f"the page is {width} px wide in a window of {screen} px")
    size = os.path.getsize(png) if os.path.exists(png) else 0
    if size < 10000:
        bad.append(f"the screenshot has {size} bytes")
    if bad:
        return say("failed", name, "; ".join(bad[:8]))
    say("passed", name, f"{len(results['tests'])} items and the score {d.got} in the DOM, "
        f"3 figures, {d.sw} px wide, a {size}-byte screenshot")


profile = []  # (part, seconds a worker spent on it), printed at the end
phases = []  # (phase of the meta-tests, wall seconds)


def timed_part(part, fn, *args):
    t0 = time.time()
    try:
        return fn(*args)
    finally:
        with lock:
            profile.append((part, time.time() - t0))


def in_workdir(part, how, fn, args):
    """Run one check in a folder of its own, removed afterwards."""
    prefix = "meta-" + re.sub(r"[^\w.]+", "-", part)[:60] + "-"
    timed_part(f"{part} [{how}]", _in_workdir, prefix, fn, *args)


def _in_workdir(prefix, fn, *args):
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)  # the jail user must reach the build folder inside
    check_clock.t0 = time.time()
    try:
        fn(*args, work)
    except Exception as e:  # a crash of one check is that check's failure, not the run's
        say("failed", f"{prefix}: {fn.__name__}", f"{type(e).__name__}: {e}")
        traceback.print_exc()
    finally:
        check_clock.t0 = None
        shutil.rmtree(work, ignore_errors=True)


def spec_items(lab):
    """{kind: {name: points}} for the lab's graded items (test, race, speed)."""
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    items = {"test": {}, "race": {}, "speed": {}}
    for kind, name, pts in re.findall(r"^(test|race|speed)\s+(\S+)\s+(\d+)", spec, re.M):
        items[kind][name] = int(pts)
    return items


def check_docs(lab):
    """The handout's grading numbers and the lab's clause table agree with the spec and
    the mutants: a test added without its handout line, a table that names an item or
    a mutant that is gone, or a `make run` of a version the lab does not have fails here."""
    name = f"meta {lab}: handout and clause table agree with the spec"
    items = spec_items(lab)
    hand = open(os.path.join(ROOT, "handouts", f"{lab}.md")).read()
    bad = []
    m = re.search(r"Correctness: (\d+) tests, (\d+) points", hand)
    tests = items["test"]
    if not m or (int(m.group(1)), int(m.group(2))) != (len(tests), sum(tests.values())):
        bad.append(f"handout says {m.group(0) if m else 'no Correctness: line'}, the spec has "
                   f"{len(tests)} tests, {sum(tests.values())} points")
    m = re.search(r"Speed: (\d+) cells, (\d+) points", hand)
    speed = items["speed"]
    if speed and (not m or (int(m.group(1)), int(m.group(2))) != (len(speed), sum(speed.values()))):
        bad.append(f"handout says {m.group(0) if m else 'no Speed: line'}, the spec has "
                   f"{len(speed)} cells, {sum(speed.values())} points")
    total = sum(sum(v.values()) for v in items.values())
    m = re.search(r"Total:?\s+(\d+)", hand)
    if not m or int(m.group(1)) != total:
        bad.append(f"handout's total is {m.group(1) if m else 'missing'}, the spec's {total}")
    for t in tests:
        if f"`{t}`" not in hand and f"`{t.split('::')[0]}`" not in hand \
                and f"`{t.split('::')[1]}`" not in hand:
            bad.append(f"the handout never names {t}")
    # every `make run` the handout prints names versions the lab's versions.c has
    versions = set(re.findall(r'^\s*\{"(\w+)",', open(os.path.join(
        ROOT, "harness", "labs", lab, "versions.c")).read(), re.M))
    for cmd in re.findall(r"make run LAB=(\d)([^`|\n]*)", hand):
        if cmd[0] != lab[3]:
            continue
        for key, v in re.findall(r"\b(VERSION|BASELINE|WORKLOAD)=(\w+)", cmd[1]):
            if v not in (versions if key != "WORKLOAD" else {"cpu", "io", "mixed"}):
                bad.append(f"the handout's `make run LAB={cmd[0]}{cmd[1]}` names {key}={v}, "
                           f"which the lab does not have")
    table = os.path.join(ROOT, "harness", "labs", lab, "CLAUSES.md")
    if os.path.exists(table):
        text = open(table).read()
        known = set(items["test"]) | set(items["race"]) | set(items["speed"])
        mutants = {os.path.basename(p) for p in corpus("mutants", lab)}
        for row in re.findall(r"^\|\s*\d+\s*\|(.*)$", text, re.M):
            cells = [c.strip() for c in row.split("|")]
            if len(cells) < 3:
                continue
            for item in re.findall(r"`([^`]+)`", cells[1]):
                if item not in known:
                    bad.append(f"CLAUSES.md names {item}, which the spec does not grade")
            for mut in re.findall(r"`?([\w.-]+\.(?:patch|c))`?", cells[2]):
                if mut not in mutants:
                    bad.append(f"CLAUSES.md names mutant {mut}, which is not in tests/mutants")
    return say("failed" if bad else "passed", name, "; ".join(bad))


def check_coverage(build, lab, work):
    """grade --coverage (make coverage LAB=2) on the solution: threads.c mostly run, and
    the line only thread_map::create_fails reaches is named as never run when only another
    test runs, and not when all do."""
    name = f"meta {lab}: grade --coverage names the lines the tests never ran"
    if not shutil.which("gcovr"):
        return say("skipped", name, "no gcovr (apt-get install gcovr)")
    src = os.path.join(ROOT, "solutions", lab)
    mark = "rc = -err; /* the waiters already started"
    line = next(i for i, t in enumerate(open(os.path.join(src, "threads.c")), 1) if mark in t)
    runs = {}
    for only in (None, "thread_map::results_in_order"):
        out = os.path.join(work, str(bool(only)))
        p = subprocess.run([os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab,
                            "--src", src, "--build", out, "--coverage"] +
                           (["--only", only] if only else []), text=True, timeout=600,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        pct = re.search(r"threads\.c +lines +([\d.]+)%", p.stdout)
        unrun = set()
        for a, b in re.findall(r"(\d+)(?:-(\d+))?", " ".join(
                re.findall(r"never (?:ran|called): (.*)", p.stdout))):
            unrun.update(range(int(a), int(b or a) + 1))
        html = os.path.exists(os.path.join(out, "index.html"))
        runs[only] = (p.returncode == 0 and pct and html, float(pct.group(1)) if pct else 0,
                      unrun, p.stdout[-1500:])
    (ok, full, unrun, text), (ok1, part, unrun1, text1) = runs.values()
    if not ok or not ok1 or full <= 80 or part >= full or line in unrun or line not in unrun1:
        return say("failed", name, f"line {line}; all tests: {full}%\n{text}\n"
                   f"only results_in_order: {part}%\n{text1}")
    say("passed", name, f"{full:.0f}% of threads.c; {part:.0f}% with one test, line {line} unrun")


# How a check runs. QUIET: beside other quiet checks, QUIET_WORKERS at once (correctness
# only: they mostly wait on timeouts and the kitchen). TIMED: alone, after the quiet ones,
# since a speed measurement must never overlap with anything of ours. FIRST: alone, before
# everything, since other checks use its results (the solutions' gradings).
QUIET, TIMED, FIRST = "quiet", "timed", "first"

# Checks of one lab besides its solution, skeleton, docs, mutants and hostile corpus:
# (labs, a regex; how; function(build, lab, work)). To add one, write the function (it
# reports through say()) and add its line here.
LAB_CHECKS = [
    ("lab1-", QUIET, check_batch),
    ("lab1-", QUIET, check_repeat),
    ("lab2-", QUIET, check_coverage),
]

# Checks of the kit as a whole: (name; how; function(build, work)). They run when no
# --only is given, or when it matches their name. To add one: the function, and a line.
KIT_CHECKS = [
    ("release", QUIET, check_release),
    ("loop", QUIET, lambda build, work: check_loop(work)),
    ("private", QUIET, check_private),
    ("faults", QUIET, check_faults),
    ("browser", QUIET, check_browser),
    ("objcache", QUIET, check_objcache),
    ("engines test_engines", QUIET, run_engine_tests),
]

# Quiet checks that take longest start first, so that the pool does not end on one of them
LONGEST_FIRST = {check_hostile: 0, check_private: 1, check_batch: 2, check_faults: 3,
                 run_engine_tests: 3}


def lab_jobs(build, lab, hostile):
    """The checks of one lab as jobs (part, how, function, args): the function is called
    with the args and a work folder of its own."""
    jobs = [("solution", FIRST, check_solution, (build, lab)),
            ("skeleton", QUIET, check_skeleton, (build, lab))]
    for path in corpus("mutants", lab):
        m = parse_mutant(path)
        wants_fail = [n for n, v in (m["expect"] if m else {}).items() if v != "pass"]
        how = TIMED if m and (speed_cells(lab, m["expect"]) or
                              needs_quiet(lab, wants_fail)) else QUIET
        jobs.append((f"mutant {os.path.basename(path)}", how, check_mutant, (build, lab, path)))
    jobs += [(fn.__name__.replace("check_", ""), how, fn, (build, lab))
             for labs, how, fn in LAB_CHECKS if re.search(labs, lab)]
    if hostile:
        quiet, timed = hostile_jobs(lab)
        for i, files in enumerate(quiet):
            tag = f"(tests{f' {i + 1}/{len(quiet)}' if len(quiet) > 1 else ''})"
            jobs.append((f"hostile {tag}", QUIET, check_hostile, (build, lab, files, False, tag)))
        if timed:
            tag = "(speed cells)"
            jobs.append((f"hostile {tag}", TIMED, check_hostile, (build, lab, timed, True, tag)))
    return [(f"{lab} {part}", how, fn, args) for part, how, fn, args in jobs]


def run_meta(build, only, hostile=True, workers=None):
    """The FIRST checks, one at a time; the QUIET ones, several at once; the TIMED ones,
    one at a time."""
    jobs = []
    for specf in sorted(glob.glob(os.path.join(ROOT, "harness", "labs", "*", "spec"))):
        lab = os.path.basename(os.path.dirname(specf))
        if not only or re.search(only, f"{lab} docs"):
            timed_part(f"{lab} docs", check_docs, lab)
        jobs += [j for j in lab_jobs(build, lab, hostile) if not only or re.search(only, j[0])]
    jobs += [(name, how, fn, (build,)) for name, how, fn in KIT_CHECKS
             if not only or re.search(only, name)]
    first = [j for j in jobs if j[1] == FIRST]
    quiet = sorted((j for j in jobs if j[1] == QUIET), key=lambda j: LONGEST_FIRST.get(j[2], 9))
    timed = [j for j in jobs if j[1] == TIMED]
    t0 = time.time()
    for job in first:
        in_workdir(*job)
    t1 = time.time()
    with ThreadPoolExecutor(workers or QUIET_WORKERS) as pool:
        for f in [pool.submit(in_workdir, *job) for job in quiet]:
            f.result()
    t2 = time.time()
    for job in timed:
        in_workdir(*job)
    phases.extend([(f"first, alone ({len(first)} checks)", t1 - t0),
                   (f"quiet, {workers or QUIET_WORKERS} at once ({len(quiet)} checks)", t2 - t1),
                   (f"timed, alone ({len(timed)} checks)", time.time() - t2)])


def print_profile(wall):
    """Seconds per part, slowest first; per kind of part; per phase; the worker time."""
    print("\nprofile (seconds a worker spent on each part, slowest first):")
    kinds = {}
    for part, secs in sorted(profile, key=lambda p: -p[1]):
        print(f"  {secs:7.1f}  {part}")
        words = part.split()
        kind = " ".join(words[1:2] if words[0].startswith("lab") else words[:1])
        n, total = kinds.get(kind, (0, 0))
        kinds[kind] = (n + 1, total + secs)
    print("per kind:")
    for kind, (n, total) in sorted(kinds.items(), key=lambda k: -k[1][1]):
        print(f"  {total:7.1f}  {kind} ({n})")
    for phase, secs in phases:
        print(f"  {secs:7.1f}  wall: meta-tests, {phase}")
    print(f"  {sum(s for _, s in profile):7.1f}  worker time in all; wall time {wall:.0f} s")
    print("slowest 10 parts:")
    for part, secs in sorted(profile, key=lambda p: -p[1])[:10]:
        print(f"  {secs:7.1f}  {part}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", help="regex: run only the unit tests and checks whose names match "
                    "it: a lab (lab1-), a part of one ('lab4-gil hostile', 'mutant cook_twice'), "
                    "or a kit check (release, private, faults)")
    ap.add_argument("--no-meta", action="store_true")
    ap.add_argument("--no-units", action="store_true")
    ap.add_argument("--no-hostile", action="store_true", help="skip the hostile corpus")
    ap.add_argument("--jobs", type=int, default=QUIET_WORKERS,
                    help=f"quiet checks at once (default {QUIET_WORKERS}); timed ones run alone")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    t0 = time.time()
    if not a.no_units:
        timed_part("units (Criterion)", run_units, build, a.only)
        timed_part("unit test_patch", run_patch_test, a.only)
    if not a.no_meta:
        run_meta(build, a.only, not a.no_hostile, a.jobs)
    print_profile(time.time() - t0)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

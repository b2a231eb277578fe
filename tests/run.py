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
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMING_TRIES = 3
counts = {"passed": 0, "failed": 0, "skipped": 0}
lock = threading.Lock()
QUIET_WORKERS = 3  # correctness-only checks mostly wait (timeouts, the kitchen): overlap them


def say(status, what, detail="", n=1):
    with lock:
        counts[status] += n
        _say(status, what, detail)


def _say(status, what, detail):
    tag = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[status]
    print(f"{tag} {what}" + (f": {detail}" if detail else ""), flush=True)


def run_units(build, only):
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
                                 stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
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


def grade(build, lab, src, work, speed=None, seed=None):
    """Grade src with the real harness; returns (exit code, results dict, stdout)."""
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
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace", timeout=900)
    results = json.load(open(out)) if os.path.exists(out) else None
    return p.returncode, results, p.stdout


def verdicts(results):
    return {t["name"]: t.get("extra_data", {}).get("verdict") for t in results["tests"]}


def leftovers(work):
    """Processes still running a program from this work folder (must be none)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe.startswith(work):
            found.append(f"{pid} {exe}")
    return found


VERDICTS = ("pass", "fail", "not implemented", "timeout", "crash", "build error",
            "inconclusive", "skipped")


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


def check_solution(build, lab, work):
    why = ""
    for attempt in range(TIMING_TRIES):
        rc, res, out = grade(build, lab, os.path.join(ROOT, "solutions", lab), work, "all")
        if res is None:
            return say("failed", f"meta {lab}: solution", f"no results (exit {rc}):\n{out[-2000:]}")
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


def test_names(lab):
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    return set(re.findall(r"^test\s+(\S+)", spec, re.M))


def check_mutant(build, lab, path, work):
    m = parse_mutant(path)
    name = f"meta {lab}: mutant {os.path.basename(path)}"
    if m is None:
        return say("failed", name, "header lacks mutant:/replaces:/expect: lines")
    speed = [n for n in m["expect"] if n not in test_names(lab)]
    src = os.path.join(work, "src")
    why = ""
    for attempt in range(TIMING_TRIES if speed else 1):
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, "solutions", lab), src)
        shutil.copy(path, os.path.join(src, m["replaces"]))
        rc, res, out = grade(build, lab, src, work, speed or None)
        left = leftovers(work)
        if left:
            return say("failed", name, f"processes left running: {left}")
        if res is None:
            return say("failed", name, f"no results (exit {rc}):\n{out[-2000:]}")
        got = verdicts(res)
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


def check_batch(build, lab, work):
    """Batch mode: three submissions in three layouts, one of them broken, one a fork bomb."""
    name = f"meta {lab}: batch grading and the CSV gradebook"
    subs = os.path.join(work, "subs")
    shutil.rmtree(subs, ignore_errors=True)
    sol = os.path.join(ROOT, "solutions", lab)
    shutil.copytree(sol, os.path.join(subs, "ada", "labs", lab))       # a clone of the kit
    shutil.copytree(os.path.join(ROOT, "labs", lab), os.path.join(subs, "bob", lab))
    shutil.copytree(sol, os.path.join(subs, "cy"))                     # files at the top
    broken = glob.glob(os.path.join(ROOT, "tests", "mutants", lab, "*syntax_error*.c"))
    if broken:
        shutil.copy(broken[0], os.path.join(subs, "cy", parse_mutant(broken[0])["replaces"]))
    out_root = os.path.join(ROOT, "build", "batch")
    p = subprocess.run([os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab,
                        "--batch", subs, "--no-speed", "--color", "never"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    csv_path = os.path.join(out_root, f"{lab}.csv")
    if p.returncode != 0 or not os.path.exists(csv_path):
        return say("failed", name, f"exit {p.returncode}:\n{p.stdout[-2000:]}")
    import csv
    rows = {r["submission"]: r for r in csv.DictReader(open(csv_path))}
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
    left = leftovers(subs)
    if left:
        problems.append(f"processes left: {left}")
    if problems:
        return say("failed", name, "; ".join(problems))
    scores = ", ".join(k + " " + v["score"] for k, v in sorted(rows.items()))
    say("passed", name, f"3 submissions scored: {scores}")


def check_release(work):
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


def in_workdir(prefix, fn, *args):
    """Run one check in a folder of its own, removed afterwards."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)  # the jail user must reach the build folder inside
    try:
        fn(*args, work)
    except Exception as e:  # a crash of one check is that check's failure, not the run's
        say("failed", f"{prefix}: {fn.__name__}", f"{type(e).__name__}: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_meta(build, only):
    """Correctness-only checks first, several at once; then the timed ones, alone, since
    speed measurements must never overlap with anything of ours."""
    quiet, timed = [], []
    for specf in sorted(glob.glob(os.path.join(ROOT, "harness", "labs", "*", "spec"))):
        lab = os.path.basename(os.path.dirname(specf))
        if only and not re.search(only, lab):
            continue
        tag = f"meta-{lab}-"
        timed.append((tag, check_solution, build, lab))
        quiet.append((tag, check_skeleton, build, lab))
        for path in sorted(glob.glob(os.path.join(ROOT, "tests", "mutants", lab, "*.c"))):
            m = parse_mutant(path)
            speed = m and any(n not in test_names(lab) and not n.startswith("build ")
                              for n in m["expect"])
            (timed if speed else quiet).append((tag, check_mutant, build, lab, path))
        if lab.startswith("lab1-"):
            quiet.append((tag, check_batch, build, lab))
    if not only:
        quiet.append(("meta-release-", check_release))
    with ThreadPoolExecutor(QUIET_WORKERS) as pool:
        for f in [pool.submit(in_workdir, *job) for job in quiet]:
            f.result()
    for job in timed:
        in_workdir(*job)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", help="regex: run only the unit tests / labs matching it")
    ap.add_argument("--no-meta", action="store_true")
    ap.add_argument("--no-units", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    t0 = time.time()
    if not a.no_units:
        run_units(build, a.only)
    if not a.no_meta:
        run_meta(build, a.only)
    print(f"\n(took {time.time() - t0:.0f} s)")
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

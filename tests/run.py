#!/usr/bin/env python3
"""run.py: the kit's own tests: harness unit tests and meta-tests of every lab.

Meta-tests grade real code with the real harness: the reference solution must score
full marks, the skeleton must read "not implemented" (not "wrong"), and every mutant
under tests/mutants/<lab>/ must get the verdicts its header declares (by default a sample
of them drawn from the commit, --mutants all every one). A check whose
verdict depends on timing is retried; if the harness still calls the machine too
disturbed to measure, the check is *skipped* with that reason, never passed or failed.
Ends with the line "N passed, N failed, N skipped".

This file runs them (the unit tests and the quiet meta-checks, several at once; then the
timed meta-checks, one at a time; and the profile); the checks themselves are in tests/meta/: common.py (grading a folder or a
batch, verdicts, the corpora's headers), lab_checks.py (solution, skeleton, mutants,
handout, seeds, batch, coverage), hostile.py (the hostile corpus) and kit_checks.py (the
private folder, faults, the release, the cache, the student's loop, the browser, the
engines). To add a check: write it there, and add its line to LAB_CHECKS or KIT_CHECKS.
"""
import argparse
import glob
import hashlib
import math
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

from meta.common import (DEFER, ROOT, check_clock, corpus, counts, lock, needs_quiet,
                         parse_mutant, say, solution_event, spec_items, speed_cells)
from meta.lab_checks import (check_batch, check_batch_refusals, check_coverage,
                             check_coverage_jail, check_docs, check_mutant, check_mutant_batch,
                             check_repeat, check_skeleton, check_solution, check_solution_speed,
                             mutant_cells, mutant_header, mutant_tests)
from meta.hostile import check_hostile, hostile_jobs
from meta.kit_checks import (check_browser, check_faults, check_layout, check_loop,
                             check_objcache, check_private, check_release, run_engine_tests)


QUIET_WORKERS = 4  # correctness-only checks mostly wait (timeouts, the kitchen): overlap them
# (measured in CI: quiet phase 485 s with the CPU 95% busy; 495 s at 86% with three)


def unit_jobs(build, only):
    """Each unit test program (and test_patch.py) as a quiet job: they are correctness
    tests, and those that time anything retry, then skip, on a busy machine."""
    # the kitchen of this build (build/cov's under make test COVERAGE=1), not build/bin's
    env = dict(os.environ, KITCHEN_BIN=os.path.abspath(os.path.join(build, "bin", "kitchen")))
    jobs = []
    for exe in sorted(glob.glob(os.path.join(build, "tests", "test_*"))):
        name = os.path.basename(exe)
        if not os.access(exe, os.X_OK) or exe.endswith(".d") or (only and not re.search(only, name)):
            continue
        jobs.append((f"unit {name}", QUIET, run_unit, (build, exe, env)))
    if not only or re.search(only, "test_patch"):
        jobs.append(("unit test_patch", QUIET, run_patch_test, ()))
    return jobs


def run_unit(build, exe, env, work):
    name = os.path.basename(exe)
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
        return say("failed", f"unit {name}", f"no Criterion summary (exit {rc}), see {log}")
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


def run_patch_test(work):
    """tests/test_patch.py: the applier of mutant and hostile patches, and every patch
    of the corpus still applying to today's solutions."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "test_patch.py")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    m = re.search(r"^Ran (\d+) tests?", p.stdout, re.M)
    if p.returncode == 0 and m:
        return say("passed", "unit test_patch", f"{m.group(1)} passed", int(m.group(1)))
    say("failed", "unit test_patch", p.stdout[-3000:])


profile = []  # (part, seconds a worker spent on it, CPU seconds of what it ran), at the end
spent = threading.local()  # cpu: CPU seconds of the processes this thread has waited for


def _waitpid(pid, options, _real=os.waitpid):
    """os.waitpid (as subprocess calls it), through wait4: the CPU time of each process a
    check waits for, and of all it waited for in turn, is added to its thread's spent.cpu."""
    if pid <= 0:
        return _real(pid, options)
    got, status, ru = os.wait4(pid, options)
    if got:
        spent.cpu = getattr(spent, "cpu", 0.0) + ru.ru_utime + ru.ru_stime
    return got, status


os.waitpid = _waitpid
phases = []  # (phase of the meta-tests, wall seconds, share of the CPU busy)


def timed_part(part, fn, *args):
    t0, c0 = time.time(), getattr(spent, "cpu", 0.0)
    try:
        return fn(*args)
    finally:
        with lock:
            profile.append((part, time.time() - t0, getattr(spent, "cpu", 0.0) - c0))


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


# How a check runs. QUIET: beside other quiet checks, QUIET_WORKERS at once (correctness
# only: they mostly wait on timeouts and the kitchen; the solutions' tests start first,
# since the hostile batches compare with them; a mutant that must fail a timing=sensitive
# test, or that has speed cells, has its first try there, and joins the timed ones only
# if that did not judge it: first_try; so do the hostile batches that time cells,
# hostile_cells). TIMED: alone, one after the other, after the quiet ones: the solutions'
# cells, and whatever a first try handed on, since a speed measurement that is to pass or
# be inconclusive for want of quiet must never overlap with anything of ours.
QUIET, TIMED = "quiet", "timed"


# Checks of one lab besides its solution, skeleton, docs, mutants and hostile corpus:
# (labs, a regex; how; function(build, lab, work)). To add one, write the function (it
# reports through say()) and add its line here.
LAB_CHECKS = [
    ("lab1-", QUIET, check_batch),
    ("lab1-", QUIET, check_batch_refusals),
    ("lab1-", QUIET, check_repeat),
    ("lab2-", QUIET, check_coverage),
    ("lab1-", QUIET, check_coverage_jail),
]


# Checks of the kit as a whole: (name; how; function(build, work)). They run when no
# --only is given, or when it matches their name. To add one: the function, and a line.
KIT_CHECKS = [
    ("release", QUIET, check_release),
    ("layout", QUIET, check_layout),
    ("loop", QUIET, check_loop),
    ("private", QUIET, check_private),
    ("faults", QUIET, check_faults),
    ("browser", QUIET, check_browser),
    ("objcache", QUIET, check_objcache),
    ("engines test_engines", QUIET, run_engine_tests),
]


def hostile_cells(build, lab, files, speed, tag, work):
    """A lab's timed hostile batch, first tried beside the other checks (a busy machine
    leaves a cell that would pass inconclusive, never failed: check_hostile's first_try);
    the attacks it left unjudged, or all of them if anything else was off, are graded again
    alone with the timed checks."""
    again = check_hostile(build, lab, files, speed, tag, work, first_try=True)
    if again:
        again = files if again == DEFER else again
        with lock:
            deferred.append((f"{lab} hostile {tag} (again, alone: {len(again)})", TIMED,
                             check_hostile, (build, lab, again, speed, f"{tag} again, alone")))


# Quiet checks that take longest start first, so that the pool does not end on one of them
# (the kit checks of 25-115 s among them: at the end of the queue they made a tail)
LONGEST_FIRST = {check_solution: -1, hostile_cells: 0, check_hostile: 0, check_private: 1,
                 check_batch: 2, check_faults: 3, run_engine_tests: 3, check_loop: 4,
                 check_objcache: 4, check_browser: 5, check_batch_refusals: 5,
                 check_mutant_batch: 6}


def quiet_order(job):
    """Where a quiet job starts: by LONGEST_FIRST, and among the solutions the last lab's
    first: a later lab's solution takes longest (lab 6's 62 s, lab 5's 34 s, lab 1's 19 s in
    session 62) and its hostile batch that times cells, the run's longest wait, starts only
    once it is graded (in lab order, lab 6's began about 20 s in, behind four others)."""
    rank = LONGEST_FIRST.get(job[2], 9)
    if job[2] is check_solution:
        return (rank, -int(re.match(r"lab(\d+)", job[3][1]).group(1)))
    return (rank, 0)


# Quiet checks that mostly wait: a lane of their own, one at a time beside the QUIET_WORKERS
# (the longest first; once the pool's own queue is empty, one of its workers takes the lane's
# jobs too: drain).
# A hostile batch that times cells waits out its attacks' trials and the grader's probe of
# the cores (measured: lab 6's, 200 s for 48 s of CPU); in the pool it held a worker, and the
# CPU, the quiet phase's bound, was 89% busy.
WAITING = {hostile_cells}


def lane_cost(job):
    """A waiting job's likely length, to start the longest first: a hostile batch's timed
    attacks times its lab's speed cells (CI, session 61: lab 6's 7 x 8 took 216 s, lab 1's
    7 x 4 109 s, lab 4's 2 x 4 57 s)."""
    lab, files = job[3][1], job[3][2]
    return len(files) * len(spec_items(lab)["speed"])


def drain(lane):
    """Run the lane's jobs, taken one at a time from the list in order, until none is left:
    the lane's own worker, and one of the pool's once the pool's own queue is empty (so the
    last waiting jobs do not run one after the other on a machine that has room)."""
    while True:
        with lock:
            if not lane:
                return
            job = lane.pop(0)
        in_workdir(*job)

deferred = []  # timed jobs that quiet first tries handed on (first_try)


def first_try(check, part):
    """check(..., first_try=True) as a quiet job: when it returns DEFER, the same check
    joins the timed ones (as `part`, again), to be judged alone."""
    def quiet_try(*args):
        *given, work = args
        if check(*args, first_try=True) == DEFER:
            with lock:
                deferred.append((f"{part} (again, alone)", TIMED, check, tuple(given)))
    quiet_try.__name__ = check.__name__
    return quiet_try


def mutant_jobs(build, lab, path):
    """A mutant as one job, or two: its speed cells (mutant_cells), and its other items
    (mutant_tests), so that a timing of the cells alone does not also wait out the tests.
    Cells, and timing=sensitive tests it must fail, have a first try beside the other
    checks, and are graded again alone only if that did not judge them (check_mutant): the
    grader fails no cell from noise (a busy machine leaves it inconclusive), so a cell
    that fails there is caught, and one that passes where it must is judged."""
    m, base = parse_mutant(path), f"mutant {os.path.basename(path)}"
    if m is None:
        return [(base, QUIET, check_mutant, (build, lab, path))]
    cells = speed_cells(lab, m["expect"])
    rest = {n: v for n, v in m["expect"].items() if n not in cells}
    jobs = []
    if cells:  # the ten mutants of CPU cells: each caught at its first try, beside 4 workers
        jobs.append((f"{base} (cells)", QUIET, first_try(mutant_cells, f"{lab} {base} (cells)"),
                     (build, lab, path)))
    if rest or not cells:
        fn = mutant_tests if cells else check_mutant
        wants_fail = [n for n, v in rest.items() if v != "pass"]
        if needs_quiet(lab, wants_fail):
            fn = first_try(fn, f"{lab} {base}{' (tests)' if cells else ''}")
        jobs.append((f"{base}{' (tests)' if cells else ''}", QUIET, fn, (build, lab, path)))
    return jobs


MUTANT_SHARE = 0.2  # make test: this share of each lab's mutants, drawn anew each commit,
# with whatever more it takes for every verdict a mutant declares to be graded on one
# (measured: the whole corpus was 690 of CI's 1,390 CPU seconds, 817 mutants in session 60)


def mutant_sample(lab, paths, seed):
    """The mutants of a lab graded this run: MUTANT_SHARE of them in an order drawn from
    seed, then, in that order, each that declares an (item, verdict) none of those chosen
    does: every item that catches a mutant is shown catching one, every run, and over
    commits every mutant is graded. seed None: all of them."""
    if seed is None:
        return list(paths)
    declared = {p: set(m["expect"].items()) if m else {(p, "no header")}
                for p in paths for m in [parse_mutant(p)]}
    order = sorted(paths, key=lambda p: hashlib.sha256(
        f"{seed}:{lab}/{os.path.basename(p)}".encode()).hexdigest())
    chosen = order[:math.ceil(MUTANT_SHARE * len(order))]
    seen = set().union(*(declared[p] for p in chosen))
    for p in order[len(chosen):]:
        if not declared[p] <= seen:
            chosen.append(p)
            seen |= declared[p]
    return sorted(chosen)


def check_unsampled(lab, paths, seed, work):
    """The mutants a sample leaves out this run: each header still names what it is, the
    file it replaces and its verdicts, and its patch still fits today's solution (so a drift
    fails loudly every run, not only when the mutant's turn comes)."""
    bad = [f"{os.path.basename(p)}: {problem}" for p in paths
           for _, problem in [mutant_header(lab, p)] if problem]
    what = (f"{len(paths)} mutants not graded this run (sample of commit {seed}; "
            "make test MUTANTS=all grades every one)")
    say("failed" if bad else "passed", f"meta {lab}: mutants left out",
        "; ".join(bad) if bad else f"{what}: headers whole, patches fit")


def lab_jobs(build, lab, hostile, seed=None):
    """The checks of one lab as jobs (part, how, function, args): the function is called
    with the args and a work folder of its own. seed: grade the sample of the lab's
    mutants it draws (mutant_sample); None: every mutant."""
    jobs = [("solution", QUIET, check_solution, (build, lab)),
            ("solution speed", TIMED, check_solution_speed, (build, lab)),
            ("skeleton", QUIET, check_skeleton, (build, lab))]
    mutants = corpus("mutants", lab)
    graded = mutant_sample(lab, mutants, seed)
    for path in graded:
        jobs += mutant_jobs(build, lab, path)
    if len(graded) < len(mutants):
        left = [p for p in mutants if p not in graded]
        jobs.append(("mutants left out", QUIET, check_unsampled, (lab, left, seed)))
    jobs += [(fn.__name__.replace("check_", ""), how, fn, (build, lab))
             for labs, how, fn in LAB_CHECKS if re.search(labs, lab)]
    if hostile:
        quiet, timed = hostile_jobs(lab)
        for i, files in enumerate(quiet):
            tag = f"(tests{f' {i + 1}/{len(quiet)}' if len(quiet) > 1 else ''})"
            jobs.append((f"hostile {tag}", QUIET, check_hostile, (build, lab, files, False, tag)))
        if timed:
            tag = "(speed cells)"
            jobs.append((f"hostile {tag}", QUIET, hostile_cells, (build, lab, timed, True, tag)))
    return [(f"{lab} {part}", how, fn, args) for part, how, fn, args in jobs]


MUTANT_BATCH = 10  # plain mutants a batch at most (each about 2 s beside the other checks)


def batched(lab, jobs):
    """jobs, with the lab's plain mutants (quiet, judged without a cell or a first try)
    graded MUTANT_BATCH at a time (check_mutant_batch: one grader each batch); one
    alone keeps its own job (and line in the profile)."""
    plain = [j for j in jobs if j[2] is check_mutant and j[1] == QUIET]
    if len(plain) < 2:
        return jobs
    n = -(-len(plain) // MUTANT_BATCH)
    rest = [j for j in jobs if j not in plain]
    for i in range(n):
        paths = [j[3][2] for j in plain[i::n]]
        rest.append((f"{lab} mutants (batch {i + 1}/{n}, {len(paths)})", QUIET,
                     check_mutant_batch, (plain[0][3][0], lab, paths)))
    return rest


def run_meta(build, only, hostile=True, workers=None, units=True, meta=True, seed=None):
    """The QUIET checks (and the unit tests), several at once; then the TIMED ones, one at
    a time. seed: the mutants' sample (lab_jobs); None: every mutant."""
    jobs = unit_jobs(build, only) if units else []
    specs = sorted(glob.glob(os.path.join(ROOT, "harness", "labs", "*", "spec"))) if meta else []
    for specf in specs:
        lab = os.path.basename(os.path.dirname(specf))
        if not only or re.search(only, f"{lab} docs"):
            timed_part(f"{lab} docs", check_docs, lab)
        jobs += batched(lab, [j for j in lab_jobs(build, lab, hostile, seed)
                              if not only or re.search(only, j[0])])
        if not any(j[2] is check_solution and j[3][1] == lab for j in jobs):
            solution_event(lab).set()  # no solution check this run: its batches grade their own
    jobs += [(name, how, fn, (build,)) for name, how, fn in (KIT_CHECKS if meta else [])
             if not only or re.search(only, name)]
    quiet = sorted((j for j in jobs if j[1] == QUIET), key=quiet_order)
    lane = sorted((j for j in quiet if j[2] in WAITING), key=lane_cost, reverse=True)
    quiet = [j for j in quiet if j not in lane]
    waiting = len(lane)
    timed = [j for j in jobs if j[1] == TIMED]
    t1, c1 = time.time(), cpu_ticks()
    with ThreadPoolExecutor(workers or QUIET_WORKERS) as pool, ThreadPoolExecutor(1) as side:
        futures = [side.submit(drain, lane)]
        futures += [pool.submit(in_workdir, *job) for job in quiet] + [pool.submit(drain, lane)]
        for f in futures:
            f.result()
    t2, c2 = time.time(), cpu_ticks()
    timed += deferred
    for job in timed:
        in_workdir(*job)
    t3, c3 = time.time(), cpu_ticks()
    phases.extend([(f"quiet, {workers or QUIET_WORKERS} at once ({len(quiet)} checks) and "
                    f"{waiting} that wait, beside them", t2 - t1, busy(c1, c2)),
                   (f"timed, alone ({len(timed)} checks)", t3 - t2, busy(c2, c3))])


def cpu_ticks():
    """The machine's CPU ticks from /proc/stat: (busy, all); None where it cannot be read."""
    try:
        with open("/proc/stat") as f:
            t = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = t[3] + (t[4] if len(t) > 4 else 0)  # idle and iowait
    return sum(t) - idle, sum(t)


def busy(a, b):
    """The share of the machine's CPU time that was busy between two cpu_ticks() (with
    whatever else runs on it: a machine already busy measures slower)."""
    if not a or not b or b[1] <= a[1]:
        return None
    return (b[0] - a[0]) / (b[1] - a[1])


def print_profile(wall):
    """Seconds per part, slowest first, with the CPU seconds of what it ran; per kind of
    part; per phase; the worker time."""
    print("\nprofile (seconds a worker spent on each part, slowest first; CPU: of what it ran):")
    kinds = {}
    for part, secs, cpu in sorted(profile, key=lambda p: -p[1]):
        print(f"  {secs:7.1f}  {part}  (CPU {cpu:.1f})")
        words = part.split()
        kind = " ".join(words[1:2] if words[0].startswith("lab") else words[:1])
        n, total, tcpu = kinds.get(kind, (0, 0, 0))
        kinds[kind] = (n + 1, total + secs, tcpu + cpu)
    print("per kind:")
    for kind, (n, total, cpu) in sorted(kinds.items(), key=lambda k: -k[1][1]):
        print(f"  {total:7.1f}  {kind} ({n}; CPU {cpu:.0f})")
    for phase, secs, share in phases:
        cpu = f", the CPU {share:.0%} busy" if share is not None else ""
        print(f"  {secs:7.1f}  wall: meta-tests, {phase}{cpu}")
    print(f"  {sum(p[1] for p in profile):7.1f}  worker time in all (CPU of what ran: "
          f"{sum(p[2] for p in profile):.0f}); wall time {wall:.0f} s")
    print("slowest 10 parts:")
    for part, secs, cpu in sorted(profile, key=lambda p: -p[1])[:10]:
        print(f"  {secs:7.1f}  {part}  (CPU {cpu:.1f})")


def commit():
    """The checkout's commit (short), from which make test draws its sample of mutants: the
    same commit grades the same sample; a tree without git, today's date."""
    try:
        p = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
    except OSError:
        pass
    return time.strftime("%Y-%m-%d")


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
    ap.add_argument("--mutants", default="sample", metavar="all|sample|SEED",
                    help=f"every mutant, or (default) a sample: {MUTANT_SHARE * 100:.0f}%% of each "
                    "lab's, drawn from the commit (or SEED), and as many more as it takes for "
                    "every declared verdict; --only grades every mutant it matches")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    seed = None if a.mutants == "all" or a.only else (
        commit() if a.mutants == "sample" else a.mutants)
    if seed is not None:
        print(f"mutants: a sample drawn from {seed} (MUTANTS={seed} draws it again, "
              "MUTANTS=all grades every one)", flush=True)
    t0 = time.time()
    run_meta(build, a.only, not a.no_hostile, a.jobs, units=not a.no_units, meta=not a.no_meta,
             seed=seed)
    print_profile(time.time() - t0)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

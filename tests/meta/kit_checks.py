"""kit_checks.py: checks of the kit as a whole: the private folder, the grader's own faults,
the student release, the object cache, the student's loop, the HTML report in a browser,
the grading engines."""
import glob
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

from .common import ROOT, grade, no_make_env, say, solution_copy, verdicts


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


LAB6_PRIVATE = "gil_pool::results_in_order,hybrid::meals,hybrid::every_kind,crew_queue,crew_queue_bounds"
LAB1_PRIVATE = "cook::matches_reference,seq_map::results_in_order,serve::one_order,timer::sleep_wall," \
    "speedup::invalid,classify::cpu_and_io,serve_memory"


def check_private(build, work):
    """As root, the kit in a folder only root can enter: lab 1's solution grades full on a
    test of each file and its race (LAB1_PRIVATE), and lab 6's (which builds every other
    lab's files from their folders, and the sanitizer drivers) on a test of each half and
    both races (LAB6_PRIVATE); their other tests are the solution checks'. The grader is this run's (build's tools, copied to where make tools puts them in
    the kit: it finds its kitchen and libharness.a beside itself), not one built again, and
    the kit's objects come from this run's cache (the grader reads it, never a run)."""
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
    bad, cached = [], ""
    for specf in sorted(glob.glob(os.path.join(kit, "harness", "labs", "lab[16]-*", "spec"))):
        lab = os.path.basename(os.path.dirname(specf))
        out = os.path.join(priv, lab + ".json")
        # lab 6: every lab's files built and both sanitizer drivers run, beside a test of
        # each half; its other tests are the solution check's (as root, in a clone)
        only = ["--only", LAB6_PRIVATE if lab.startswith("lab6-") else LAB1_PRIVATE]
        q = subprocess.run([os.path.join(kit, "build", "bin", "grade"), "--root", kit, "--lab",
                            lab, "--src", os.path.join(kit, "solutions", lab), "--out", out,
                            "--no-speed", "--color", "never"] + only, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900,
                           env=dict(os.environ, GRADE_OBJ_CACHE=os.path.join(build, "cache", "objs")))
        if q.returncode != 0:
            bad.append(f"{lab}: exit {q.returncode}\n{q.stdout[-1500:]}")
        for log in glob.glob(os.path.join(kit, "build", "**", "objcache.log"), recursive=True):
            n = [tuple(map(int, m)) for m in re.findall(r"(\d+) from .*?, (\d+) compiled",
                                                          open(log).read())]
            cached += f"{'; ' if cached else ''}{lab}: {sum(a for a, _ in n)} objects from the " \
                f"cache, {sum(b for _, b in n)} compiled"
            os.remove(log)
    if bad:
        return say("failed", name, "\n".join(bad))
    say("passed", name, f"labs 1 and 6: builds, races and a test of each file full, as root "
                        f"from a mode-700 folder ({cached})")


GUARD = "in_criterion(__builtin_return_address(0))"


def guard_broken_lib(build, work):
    """A grader copy (work/bin/grade, work/harness/libharness.a) whose check.o refuses every
    caller of check_end, as if this Criterion called a test's .fini from elsewhere (a tail
    call, another build): its path, or None when check.c no longer has the guard's call."""
    src = open(os.path.join(ROOT, "harness", "lib", "check.c")).read()
    if GUARD not in src:
        return None
    os.makedirs(os.path.join(work, "bin"))
    os.makedirs(os.path.join(work, "harness"))
    patched = os.path.join(work, "check.c")
    with open(patched, "w") as f:
        f.write(src.replace(GUARD, "in_criterion(NULL)"))
    flags = [w for line in open(os.path.join(ROOT, "harness", "cflags"))
             if not line.startswith("#") for w in line.split()]
    cr = subprocess.run(["pkg-config", "--cflags", "criterion"], text=True,
                        stdout=subprocess.PIPE).stdout.split()
    obj = os.path.join(work, "check.o")
    subprocess.run(["cc", *flags, "-I" + os.path.join(ROOT, "harness", "include"), "-O2", *cr,
                    "-c", patched, "-o", obj], check=True)
    lib = os.path.join(work, "harness", "libharness.a")
    shutil.copy(os.path.join(build, "harness", "libharness.a"), lib)
    subprocess.run(["ar", "rcs", lib, obj], check=True)
    for prog in ("grade", "kitchen"):
        shutil.copy(os.path.join(build, "bin", prog), os.path.join(work, "bin"))
    return os.path.join(work, "bin", "grade")


def check_faults(build, work):
    """The grader's own faults read as harness errors (ERR!, exit 3), never as the
    student's: no compiler, a kitchen that does not start, one that dies mid-run (what
    failed after it is not judged), and test helpers whose check_end refuses Criterion's
    own call (the grader's canary fails: no test of the student's is judged)."""
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
    # and one whose test helpers refuse Criterion's own call of a test's end (check_end's
    # guard), as a Criterion built otherwise would: the grader's canary must fail first
    guard = os.path.join(work, "guard")
    broken = guard_broken_lib(build, guard)
    if not broken:
        return say("failed", name, f"check.c's guard changed: {GUARD!r} not found to break")
    # each on what shows it (a test that needs no kitchen passes beside those that do), the
    # kitchen killed after a second on every serve test (3 s of them: one runs across the
    # kill, or, on a machine so slow that the build took the second, all read ERR!)
    some = ["cook::matches_reference", "serve::one_order", "serve::several_orders"]
    for what, grader, env, must, only in (
            ("no compiler", os.path.join(build, "bin", "grade"), {"CC_PATH": "/nonexistent/cc"},
             None, some),
            ("the kitchen does not start", os.path.join(bindir, "grade"), {}, None, some),
            ("the kitchen dies mid-run", os.path.join(dies, "grade"), {}, None, ["serve"]),
            ("check_end's guard refuses Criterion", broken, {}, "harness canary", some)):
        out = os.path.join(work, "r.json")
        junit = os.path.join(work, "r.xml")
        for f in (out, junit):
            if os.path.exists(f):
                os.remove(f)
        p = subprocess.run([grader, "--root", ROOT, "--lab", lab, "--src", sol, "--out", out,
                            "--junit", junit, "--build", os.path.join(work, "b"), "--no-speed",
                            "--color", "never"] + (["--only", ",".join(only)] if only else []),
                           text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=dict(os.environ, GRADE_VALUES="off", **env),
                           timeout=600)
        res = json.load(open(out)) if os.path.exists(out) else None
        errs = [n for n, v in verdicts(res).items() if v == "harness error"] if res else []
        # an item whose required tests were harness errors is not run: skipped (lab 1's
        # race serve_memory, whose driver does not link check.o)
        fails = [f"{n}: {v}" for n, v in verdicts(res).items()
                 if v not in ("harness error", "pass", "skipped")] if res else []
        xml = open(junit).read() if os.path.exists(junit) else ""
        if p.returncode != 3 or not errs or fails or "<error" not in xml or \
                "harness error, not your code" not in p.stdout or "ERR!" not in p.stdout or \
                (must and must not in errs) or "Exec format error" in p.stdout:
            # (a compiler that exited non-zero is -ENOEXEC inside: never said as strerror's)
            bad.append(f"{what}: exit {p.returncode}, harness errors {errs}, other verdicts "
                       f"{fails}:\n{p.stdout[-1200:]}")
    if bad:
        return say("failed", name, "\n".join(bad))
    say("passed", name, "no compiler; a kitchen that does not start; one that dies mid-run; "
        "check_end's guard refusing Criterion's call (the canary)")


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


def check_layout(build, work):
    """harness/README.md names every place of harness/ in its folder table, and every
    source file of the grader, the library and the drivers in its module tables: a file
    added without a line there fails, so the tables stay the map of the folders."""
    name = "meta layout: harness/README.md names every harness folder and module"
    text = open(os.path.join(ROOT, "harness", "README.md")).read()
    table = re.findall(r"^\| `harness/([^`/]+)", text, re.M)
    places = [e for e in sorted(os.listdir(os.path.join(ROOT, "harness")))
              if e not in ("README.md",)]
    missing = [f"harness/{e}" for e in places if e not in table]
    for folder in ("grader", "lib", "drivers"):
        for f in sorted(glob.glob(os.path.join(ROOT, "harness", folder, "*.c"))):
            if not re.search(rf"`{re.escape(os.path.basename(f))}`", text):
                missing.append(os.path.relpath(f, ROOT))
    gone = [f"harness/{e}" for e in table if not os.path.exists(os.path.join(ROOT, "harness", e))]
    if missing or gone:
        return say("failed", name, f"not in harness/README.md: {missing}; named there but not "
                   f"in the tree: {gone}")
    say("passed", name, f"{len(places)} places, every module named")


def cache_said(work):
    """What the last grading's objcache.log said, and its two counts: the kit's objects
    (found, compiled) and the student's files (found, compiled), as re matches or None."""
    log = os.path.join(work, "build", "logs", "objcache.log")
    said = open(log).read().strip() if os.path.exists(log) else "no objcache.log"
    return (said, re.search(r"objects: (\d+) from .*, (\d+) compiled", said),
            re.search(r"student's files: (\d+) found .*, (\d+) compiled", said))


def check_objcache(build, work):
    """The kit's objects (tests.c, the drivers, the library with sanitizers) and the
    student's file (plain and with ThreadSanitizer) compiled by one grading and taken from
    the cache by the next (objcache.c): every one found, none compiled again, the same
    verdicts and scores. A third grading of the file with one byte changed compiles it
    again (and only it), and its mistake is caught."""
    name = "meta objcache: a second grading takes the kit's objects and the student's from the cache"
    lab, env = "lab2-threads", {"GRADE_OBJ_CACHE": os.path.join(work, "cache")}
    src = os.path.join(work, "src")
    solution_copy(lab, src)
    seen = []
    for n in range(3):
        if n == 2:  # one byte changed: the next job taken twice as fast, a wrong total
            path = os.path.join(src, "threads.c")
            text = open(path).read()
            wrong = re.sub(r"(\w+)\+\+;", r"\1 += 2;", text, count=1)
            if wrong == text:
                return say("failed", name, "found no ++ to change in threads.c")
            open(path, "w").write(wrong)
        # a test of the file (plain) and a race of it (ThreadSanitizer), not the whole lab:
        # the cache is under test, and the third grading's mistake breaks the totals
        rc, res, out = grade(build, lab, src, work, env=env,
                             only=["thread_tally::totals", "next_job"])
        said, m, f = cache_said(work)
        if res is None or not m or not f:
            return say("failed", name, f"exit {rc}, {said}:\n{out[-2000:]}")
        seen.append((int(m.group(1)), int(m.group(2)), int(f.group(1)), int(f.group(2)),
                     verdicts(res), res["score"], res["max_score"]))
    (hit1, made1, shit1, smade1, v1, s1, _), (hit2, made2, shit2, smade2, v2, s2, _), \
        (_, made3, shit3, smade3, _, s3, max3) = seen
    if hit1 != 0 or made1 == 0 or hit2 != made1 or made2 != 0 or v1 != v2 or s1 != s2 or \
            shit1 != 0 or smade1 < 2 or shit2 != smade1 or smade2 != 0:
        return say("failed", name, f"first: ours {hit1} found, {made1} compiled, the student's "
                   f"{shit1} found, {smade1} compiled, score {s1}; second: ours {hit2} found, "
                   f"{made2} compiled, the student's {shit2} found, {smade2} compiled, score "
                   f"{s2}; verdicts apart: "
                   f"{ {n: (v, v2.get(n)) for n, v in v1.items() if v2.get(n) != v} }")
    if made3 != 0 or shit3 != 0 or smade3 != smade1 or s3 >= max3:
        return say("failed", name, f"one byte changed: ours {made3} compiled, the student's "
                   f"{shit3} found, {smade3} compiled; score {s3}/{max3}")
    # a right file over STUDENT_CACHE_MAX (1 MiB of comment), which also makes the compiler
    # say 3,000 lines (#pragma message): graded twice, it is compiled both times (never kept:
    # red team 12's objcache_bloat), and the log kept is cut to what the grader reads
    # (BUILD_LOG_MAX, 256 KiB: compiler_log_bloat left 190 MB)
    shutil.rmtree(src)
    solution_copy(lab, src)
    path = os.path.join(src, "threads.c")
    with open(path, "a") as f:
        f.write("".join(f'#pragma message "a message the compiler repeats, {k:05d}"\n'
                        for k in range(3000)))
        f.write("/*\n" + ("x" * 99 + "\n") * 11000 + "*/\n")
    big = []
    for n in range(2):
        rc, res, out = grade(build, lab, src, work, env=env, only=["thread_tally::totals"])
        said, _, f = cache_said(work)
        cc_log = os.path.join(work, "build", "logs", "threads.c.log")
        size = os.path.getsize(cc_log) if os.path.exists(cc_log) else -1
        if res is None or not f:
            return say("failed", name, f"a big file: exit {rc}, {said}:\n{out[-2000:]}")
        big.append((int(f.group(1)), int(f.group(2)), size, res["score"], res["max_score"]))
    if any(found or made == 0 or not 0 < size <= 256 * 1024 or score < top
           for found, made, size, score, top in big):
        return say("failed", name, f"a file over 1 MiB saying 3,000 lines, graded twice: "
                   f"(found, compiled, its log's bytes, score, max) = {big}: expected never "
                   "found in the cache, compiled each time, a log of at most 256 KiB, full marks")
    say("passed", name, f"ours: {made1} compiled once, then all {hit2} found; the student's "
        f"file: {smade1} compiles, then {shit2} found; {s2:g} points both times; one byte "
        f"changed: compiled again, {s3:g}/{max3:g}; a file over 1 MiB compiled both times, "
        f"never kept, its log cut to {big[0][2]} bytes")


def watch_rerun(kit, env, timeout=240):
    """make watch LAB=2 in the release: its first run, then a save of threads.c, then its
    second run. Returns (saw both runs, the output)."""
    p = subprocess.Popen("exec make --no-print-directory watch LAB=2 ONLY=thread_map::one_job",
                         cwd=kit, shell=True, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    out, deadline, saved = "", time.monotonic() + timeout, False
    try:
        while time.monotonic() < deadline and out.count("waiting for a save") < 2:
            if select.select([p.stdout], [], [], 0.2)[0]:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break  # make watch ended
                out += chunk.decode(errors="replace")
            if not saved and "waiting for a save" in out:
                time.sleep(0.5)  # inotifywait is listening by now (or the poll has its times)
                with open(os.path.join(kit, "labs", "lab2-threads", "threads.c"), "a") as f:
                    f.write("/* saved */\n")
                saved = True
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return out.count("waiting for a save") >= 2 and out.count("Score:") >= 2, out


def check_loop(build, work):
    """The student's loop in the student release: make help, make run (list, a timing),
    make check with ONLY= and SPEED=0 (and its HTML report), make watch (a save reruns the tests), make debug
    (one test under gdb, a breakpoint in the student's file), make coverage LAB=2 (the
    student's lines). It builds its own tools there, as a student's first make does."""
    name = "meta loop: make help/run/check ONLY/watch/debug/coverage work in the student release"
    env = no_make_env()
    sh = lambda cmd, cwd, stdin=None: subprocess.run(
        cmd, cwd=cwd, shell=True, text=True, timeout=600, input=stdin, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p = sh(f"make --no-print-directory release B={work}/rel && tar xzf "
           f"{work}/rel/release/restaurant-lab-student.tar.gz -C {work}", ROOT)
    kit = os.path.join(work, "restaurant-lab")
    h, v = sh("make help", kit), sh("make run LAB=2", kit)
    r = sh("make run LAB=1 VERSION=ref WORKLOAD=io JOBS=2 RUNS=1", kit)
    n = sh("make run LAB=1 VERSION=seq RUNS=1", kit)
    # a student's lab 2, done: the reference's file in the release's labs/
    if p.returncode == 0:
        shutil.copy(os.path.join(ROOT, "solutions", "lab2-threads", "threads.c"),
                    os.path.join(kit, "labs", "lab2-threads", "threads.c"))
    c = sh("make check LAB=2 SPEED=0 ONLY=thread_map::one_job,thread_tally::totals", kit)
    d = sh("make debug LAB=2 TEST=thread_map::one_job", kit,
           "break thread_map\ncontinue\nbt 1\ncontinue\nquit\n")
    g = sh("make coverage LAB=2 ONLY=thread_map", kit)
    w_ok, w = watch_rerun(kit, env)
    cov_page = os.path.join(kit, "build", "coverage", "lab2", "index.html")
    bad = [what for what, ok in (
        ("release", p.returncode == 0), ("help lists make test or SOLUTION", "make test" not in
                                         h.stdout and "SOLUTION" not in h.stdout),
        ("versions", "versions: seq, ref" not in v.stdout and "versions: threads, ref" in v.stdout),
        ("timing", r.returncode == 0 and re.search(r"ref +0\.[1-4]\d\d s .* 1\.00x", r.stdout)),
        ("skeleton", n.returncode != 0 and "seq: not implemented: seq_map()" in n.stdout),
        ("check ONLY SPEED=0", c.returncode == 0 and "Score: 3/3" in c.stdout
         and "\nspeed\n" not in c.stdout and "thread_map::one_job" in c.stdout),
        ("report", all(os.path.exists(os.path.join(kit, "build", "results", f))
                       for f in ("index.html", "lab2.html", "lab2.json"))),
        ("debug", re.search(r"Breakpoint 1, thread_map \(.*\n?.*threads\.c:\d+", d.stdout)),
        ("coverage", g.returncode == 0 and "labs/lab2-threads/threads.c  lines" in g.stdout
         and os.path.exists(cov_page)),
        ("watch", w_ok))
        if not ok]
    shown = {"check ONLY SPEED=0": c.stdout, "debug": d.stdout, "coverage": g.stdout,
             "watch": w}
    say("failed" if bad else "passed", name, "; ".join(bad) + "".join(
        f"\n--- {b}:\n{shown.get(b, r.stdout + n.stdout)[-800:]}" for b in bad))


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

"""common.py: what every meta-check uses: the kit's root, say() and the counts, grading one
folder or a batch with the real grader, reading its verdicts, the corpora's headers, a
solution's copy, and what a grading may leave behind."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from mutant_patch import borrowed, graded_text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMING_TRIES = 3
DEFER = "defer"  # a first try (first_try=True) that judged nothing for certain: again, alone
counts = {"passed": 0, "failed": 0, "skipped": 0}
lock = threading.Lock()
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


def no_make_env():
    """The environment without our make's variables: make test COVERAGE=1's B= and
    COVERAGE=1 reach every make below it, through MAKEFLAGS and the environment."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "COVERAGE", "B")}


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


def read_header(path, kind):
    """The header block of a mutant or hostile file and its shared lines: (head, what it
    is after `kind:`, the file it replaces, {item: expected verdicts}); what and replaces
    are None when missing. "expect: NAME VERDICT" or "expect: NAME VERDICT or VERDICT"
    (e.g. a fork bomb that fails or times out, depending on how fast the machine forks)."""
    with open(path) as f:
        head = f.read().split("*/", 1)[0]
    what = re.search(rf"{kind}:\s*(.+)", head)
    repl = re.search(r"replaces:\s*(\S+)", head)
    verdict = "|".join(VERDICTS)
    expects = re.findall(rf"expect:\s*(.+?)\s+((?:{verdict})(?: or (?:{verdict}))*)\s*$",
                         head, re.M)
    return (head, what.group(1).strip() if what else None, repl.group(1) if repl else None,
            {name: v.strip() for name, v in expects})


def parse_mutant(path):
    _, what, replaces, expect = read_header(path, "mutant")
    if not what or not replaces or not expect:
        return None
    return {"what": what, "replaces": replaces, "expect": expect}


solution_results = {}  # lab -> the results of its solution's grading, for the hostile batches
solution_ready = {}  # lab -> threading.Event: its solution's tests are graded (check_solution)


def solution_event(lab):
    """The event a lab's solution check sets once its results are in solution_results (or
    it has failed): the hostile batches of the lab wait for it."""
    with lock:
        return solution_ready.setdefault(lab, threading.Event())


def speed_cells(lab, names):
    """The speed cells among names (items of the lab's spec): what needs --speed, and
    makes a check timed. Tests, races and build items do not."""
    return sorted(n for n in names if n in spec_items(lab)["speed"])


def spec_text(lab):
    """The text of the lab's spec (harness/labs/<lab>/spec)."""
    with open(os.path.join(ROOT, "harness", "labs", lab, "spec")) as f:
        return f.read()


def required(lab, names):
    """The items that the speed cells and races among names require (spec `requires=`):
    graded with them in any case."""
    spec = spec_text(lab)
    req = {m.group(1): m.group(2).split(",") for m in
           re.finditer(r"^(?:speed|race)\s+(\S+)\s.*?\brequires=(\S+)", spec, re.M)}
    return {r for n in names for r in req.get(n, [])}


def timing_tests(lab):
    """The tests the spec marks timing=sensitive: on a busy machine their failure reads
    inconclusive (correct.c), so a check that needs them to fail must run alone."""
    spec = spec_text(lab)
    return set(re.findall(r"^test\s+(\S+)\s+\S+\s+timing=sensitive\b", spec, re.M))


def needs_quiet(lab, names):
    """Speed cells, or timing-sensitive tests a mistake must fail: the check runs alone."""
    return bool(speed_cells(lab, names)) or bool(timing_tests(lab) & set(names))


def test_names(lab):
    spec = spec_text(lab)
    return set(re.findall(r"^test\s+(\S+)", spec, re.M))


def solution_copy(lab, dst):
    """A copy of the lab's solution in dst, with the files it borrows from earlier labs
    (spec `borrow lab4-gil:gil.c`) at its top, where the grader also looks for them."""
    shutil.copytree(os.path.join(ROOT, "solutions", lab), dst)
    for name, other in borrowed(lab, ROOT).items():
        shutil.copy(os.path.join(ROOT, "solutions", other, name), os.path.join(dst, name))


def parse_hostile(path):
    head, what, replaces, expect = read_header(path, "hostile")
    denies = re.findall(r"denies:\s*(.+?)\s*$", head, re.M)
    gap = re.search(r"open:\s*(.+)", head)  # a known gap: reported as skipped, with why
    strict = re.search(r"^\s*\*?\s*strict:", head, re.M)  # no inconclusive for timeout/fail
    leaks = re.findall(r"leaks:\s*(.+?)\s*$", head, re.M)  # must not reach its results
    if not what or not replaces or not (expect or denies):
        return None
    return {"what": what, "replaces": replaces, "expect": expect, "denies": denies, "leaks": leaks,
            "open": gap.group(1).strip() if gap else None, "strict": bool(strict)}


def left_by(pids, since=0.0):
    """What graders `pids` left in the temporary folder: anything of their jail users
    (Criterion's sockets, the compiler's files) and their boxes (whose out/ is the jail
    user's), made since `since` (time.time()). What else runs on the machine is not counted,
    nor what an earlier grader with the same pid left (pids are reused: pid_max is often
    32768, and a run of the checks forks far more than that)."""
    uids = {JAIL_UID_BASE + p for p in pids}
    tmp, found = tempfile.gettempdir(), []
    for name in os.listdir(tmp):
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
            uid = st.st_uid
            if name.startswith("restaurant-lab-"):
                uid = os.lstat(os.path.join(path, "out")).st_uid
        except OSError:
            continue
        if uid in uids and st.st_mtime >= since - 1:
            found.append(name)
    return sorted(found)


def batch_out(subs):
    """Where the grader puts batch folder `subs`'s results (batch.h, batch_out_dir):
    build/batch/<its name, bytes outside [A-Za-z0-9._-] as _>-<FNV-1a of its real path>."""
    real = os.path.realpath(subs)
    h = 14695981039346656037
    for b in real.encode():
        h = ((h ^ b) * 1099511628211) & (2 ** 64 - 1)
    tag = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(subs.rstrip("/")))
    tag = "batch" if tag in ("", ".", "..") else tag
    return os.path.join(ROOT, "build", "batch", f"{tag}-{(h ^ (h >> 32)) & 0xffffffff:08x}")


def run_batch(build, lab, subs, speed, only=None, only_for=None, env=None):
    """Grade every folder in subs in one batch (--only the items `only` names, if any;
    a folder that only_for names, on its own items alone: --only-for; env: variables to
    set for the grader); returns (exit, output, results, grader pid)."""
    # --parallel 1: one grader process, whose pid names the jail user that left_by() and
    # leftovers() look for (parallel graders' runs are their children's, unseen here)
    cmd = [os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab, "--batch", subs,
           "--parallel", "1", "--color", "never"] + \
        (["--speed", ",".join(speed)] if speed else ["--no-speed"]) + \
        (["--only", ",".join(only)] if only else []) + \
        [f"--only-for={sub}={','.join(items)}" for sub, items in sorted((only_for or {}).items())]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors="replace", env={**os.environ, **(env or {})})
    out, _ = p.communicate(timeout=3600)
    res = {}
    for sub in os.listdir(subs):
        j = os.path.join(batch_out(subs), "submissions", sub, f"{lab}.json")
        res[sub] = json.load(open(j)) if os.path.exists(j) else None
    return p.returncode, out, res, p.pid


def spec_items(lab):
    """{kind: {name: points}} for the lab's graded items (test, race, speed)."""
    spec = spec_text(lab)
    items = {"test": {}, "race": {}, "speed": {}}
    for kind, name, pts in re.findall(r"^(test|race|speed)\s+(\S+)\s+(\d+)", spec, re.M):
        items[kind][name] = int(pts)
    return items

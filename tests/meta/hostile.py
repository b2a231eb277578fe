"""hostile.py: the hostile corpus, graded in batches before a correct submission: each attack
gets its declared verdicts and none of the items it would earn dishonestly."""
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from mutant_patch import PatchError
from .common import (DEFER, ROOT, batch_out, corpus, left_by, leftovers, lock, parse_hostile,
                     plant, run_batch, say, solution_copy, solution_event, solution_results,
                     spec_items, speed_cells, verdicts)


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


HOSTILE_BATCH = 6  # attacks a quiet batch at most (each batch grades a correct copy too): 8 was the run's longest job


def guard_cell(lab, cells):
    """Of the cells a timed batch's attacks name, the one the correct submission after them
    times when the attacks name no test to grade it on: one that uses every core
    (workers=P), where anything an attack left running would cost most; else the first."""
    spec = open(os.path.join(ROOT, "harness", "labs", lab, "spec")).read()
    wide = [c for c in cells if re.search(rf"^speed\s+{re.escape(c)}\s.*\bworkers=P\b", spec, re.M)]
    return (wide or cells)[:1]


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


def regrade_starved(build, lab, work, subs, starved, own, timed=False):
    """Attacks whose only wrong verdicts are inconclusive ones (a strict attack's timeouts,
    or an item it should pass, on a machine too busy: correct.c): graded once more, alone,
    their cells timed again if `timed`. Returns (problems, skips): a verdict that is still
    off for another reason is a problem; one that is inconclusive again is skipped with
    the grader's reason (the machine stayed too busy to judge)."""
    problems, skips = [], []
    again = os.path.join(work, "again")
    os.mkdir(again)
    for sub in starved:
        shutil.copytree(os.path.join(subs, sub), os.path.join(again, sub), symlinks=True)
    items = sorted({n for sub in starved for n in own[sub]})
    with gradebook(lab).shared():
        # a timed batch's attacks have their cells timed again (else they could only read
        # inconclusive: not run), the others their tests alone
        cells = sorted({n for h in starved.values() for n in h["speed"]}) if timed else []
        rc, out, res, _ = run_batch(build, lab, again, cells or None, items,
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
    shutil.rmtree(batch_out(again), ignore_errors=True)
    return problems, skips


def check_hostile(build, lab, files, speed, tag, work, first_try=False):
    """Attacks of the hostile corpus, graded in one batch before a correct submission: the
    batch finishes, each attack gets its declared verdicts and none of the items it would
    earn dishonestly, the correct one scores as the solution did when graded alone (or, if
    this run did not grade it, as a correct one graded before the attacks), no process is
    left, the kit's files did not change, and the grader left nothing in the temporary
    folder. With `speed`, the attacks' speed cells are timed (and their tests run).
    first_try (a timed batch's try beside the other checks): a busy machine does not turn a
    cell that would pass into a fail, it reads inconclusive (the grader's own rule: no fail
    from noise), so an attack whose cells fail there is denied; it returns the files of
    those left inconclusive (starved), to be graded alone, or DEFER, all of them, if
    anything else was off (a cell passed, say: alone, it is judged)."""
    name = f"meta {lab}: hostile corpus {tag}"
    began = time.time()
    attacks, problems, gaps = {}, [], []
    subs = os.path.join(work, "subs")
    uniq = os.path.basename(work)  # each attack's name says which check graded it
    for path in files:
        h = parse_hostile(path)
        if h is None:
            problems.append(f"{os.path.basename(path)}: header lacks hostile:/replaces:/"
                            "expect: or denies:")
            continue
        h["speed"] = speed_cells(lab, list(h["expect"]) + h["denies"])
        h["path"] = path
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
    solution_event(lab).wait(3600)  # the quiet batches start after the solutions' checks
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
    # ones on all the attacks' items but their cells (compared where graded): the
    # solution's check times the cells, and what an attack could leave to slow them, a
    # process, a file, is looked for after the batch (leftovers, left_by); a cell only
    # when the attacks name no test (guard_cell)
    own = {sub: sorted({n for n in list(h["expect"]) + h["denies"] if not n.startswith("build ")})
           for sub, h in attacks.items()}
    only = sorted({n for items in own.values() for n in items})
    if cells:
        for c in correct:
            own[c] = sorted(set(only) - set(cells)) or guard_cell(lab, cells)
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
        junit = os.path.join(batch_out(subs), "submissions", sub, f"{lab}.xml")
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
    later = [starved[sub]["path"] for sub in sorted(starved)] if first_try else []
    if starved and not first_try:
        again, busy = regrade_starved(build, lab, work, subs, starved, own, bool(speed))
        problems += again
    left = leftovers(work, pid)
    if left:
        problems.append(f"processes left: {left}")
    after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, text=True,
                           stdout=subprocess.PIPE).stdout
    if after != status:
        problems.append(f"the kit's files changed: {after}")
    stray = left_by([pid], began)
    if stray:
        problems.append(f"left in {tempfile.gettempdir()}: {stray[:8]}")
    shutil.rmtree(batch_out(subs), ignore_errors=True)
    if problems and first_try:
        return DEFER
    if problems:
        return say("failed", name, "\n".join(problems))
    slow = ", ".join(f"{sub[:-len(uniq) - 1]} {s:.0f}" for sub, s in
                     sorted(spent.items(), key=lambda kv: -kv[1])[:3])
    say("passed", name, f"{len(attacks) - len(gaps) - len(busy) - len(later)} attacks and "
        f"{len(correct)} correct, "
        f"{took:.0f} s (slowest attacks, s: {slow}), none earned dishonestly, nothing left"
        + (", the correct one as the solution alone" if ref else "")
        + (f"; {len(later)} the load left inconclusive, graded again alone" if later else ""))
    for g in gaps:
        say("skipped", f"{name}: known gap", g)
    for b in busy:
        say("skipped", f"{name}: machine too busy", b)
    return later

"""lab_checks.py: the checks of one lab: its solution, skeleton, each mutant, its handout
and spec, the seed sweep, batch grading and the student's coverage."""
import csv
import glob
import json
import os
import re
import shutil
import subprocess

from mutant_patch import PatchError, graded_text
from .common import (DEFER, ROOT, TIMING_TRIES, batch_out, corpus, grade, leftovers,
                     parse_mutant, plant, required, run_batch, say, seen_verdicts, solution_copy,
                     solution_event, solution_results, spec_items, speed_cells, test_names,
                     timing_tests, verdicts)
from .hostile import gradebook


solution_late = {}  # lab -> tests its solution check left inconclusive: timed again, alone


def check_solution(build, lab, work):
    """The reference solution's builds, tests and sanitizer drivers (beside other checks:
    the speed cells are check_solution_speed's, alone): all pass. Its results are kept, and
    the lab's hostile batches wait for them: they compare the correct submission they grade
    after their attacks with them, instead of grading the solution again before them. A
    test the load beside it left inconclusive is graded again alone, with the cells."""
    name = f"meta {lab}: solution passes every test"
    try:
        rc, res, out = grade(build, lab, os.path.join(ROOT, "solutions", lab), work)
        if res is None:
            return say("failed", name, f"no results (exit {rc}):\n{out[-2000:]}")
        solution_results[lab] = res
        bad = {n: v for n, v in verdicts(res).items() if v != "pass"}
        if any(v != "inconclusive" for v in bad.values()) or res["max_score"] <= 0:
            return say("failed", name, f"not full marks: {bad}\n{out[-3000:]}")
        solution_late[lab] = sorted(bad)
        later = f"; {', '.join(bad)} inconclusive beside the other checks: graded again alone" \
            if bad else ""
        say("passed", name, f"{res['score']:g}/{res['max_score']:g}{later}")
    finally:
        solution_event(lab).set()


def check_solution_speed(build, lab, work):
    """The reference solution's speed cells (and any test check_solution left inconclusive),
    timed alone: every one passes. Their items join the solution's kept results, for the
    hostile batch that times the attacks' cells."""
    name = f"meta {lab}: solution's speed cells pass"
    only = sorted(spec_items(lab)["speed"]) + solution_late.get(lab, [])
    why = ""
    for attempt in range(TIMING_TRIES):
        rc, res, out = grade(build, lab, os.path.join(ROOT, "solutions", lab), work, "all",
                             only=only)
        if res is None:
            return say("failed", name, f"no results (exit {rc}):\n{out[-2000:]}")
        kept = solution_results.get(lab)
        if kept:  # the timed items replace or join those graded beside the other checks
            timed = {t["name"]: t for t in res["tests"]}
            kept["tests"] = [timed.pop(t["name"], t) for t in kept["tests"]] + list(timed.values())
        bad = {n: v for n, v in verdicts(res).items() if v != "pass"}
        if rc == 0 and not bad and res["score"] == res["max_score"] > 0:
            late = solution_late.get(lab)
            return say("passed", name, f"{res['score']:g}/{res['max_score']:g} (its "
                       f"{len(spec_items(lab)['speed'])} cells and the tests they need"
                       f"{'; again alone: ' + ', '.join(late) if late else ''})")
        if any(v != "inconclusive" for v in bad.values()):
            return say("failed", name, f"not full marks: {bad}\n{out[-3000:]}")
        why = "; ".join(t["output"].splitlines()[0] for t in res["tests"]
                        if t.get("extra_data", {}).get("verdict") == "inconclusive")
    say("skipped", name, f"machine too disturbed to measure: {why}")


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


def mutant_header(lab, path):
    """(the mutant's parsed header, None) or (None or header, what is wrong with it)."""
    m = parse_mutant(path)
    if m is None:
        return None, "header lacks mutant:/replaces:/expect: lines"
    try:
        graded_text(path)
    except PatchError as e:
        return m, str(e)
    # a mutant that is caught names the items that catch it, each with the verdict it must
    # read exactly (so a mistake that broke the build or crashes is not mistaken for it),
    # and no item it passes but those its cells and races require (graded with them): an
    # item it passes would cost a run and say nothing of its mistake
    needed = required(lab, m["expect"])
    idle = [n for n, v in m["expect"].items() if v == "pass" and n not in needed]
    if idle and any(v != "pass" for v in m["expect"].values()):
        return m, (f"lists items it passes: {', '.join(idle)}: a mutant that is caught names "
                   "only the items that catch it (tests/mutants/README.md)")
    return m, None


def judged(expect, res, full):
    """({item: (wanted, got)} for the items off their declared verdicts, whether the
    mutant got them all): items that all pass (no mistake among them) must score full
    (full: the grading's exit 0), and any other must not."""
    got = seen_verdicts(res)
    off = {n: (want, got.get(n)) for n, want in expect.items()
           if got.get(n) not in want.split(" or ")}
    harmless = all(v == "pass" for v in expect.values())
    return off, not off and full == harmless


def check_mutant_batch(build, lab, paths, work):
    """Mutants graded on no speed cell and no timing=sensitive test they must fail, in one
    batch (one grader for them all: measured on lab 5's 44 mutants, about 12% less CPU in
    all than a grader apiece),
    each on the items its header names: a mutant that gets its declared verdicts passes;
    any other (and any the batch left without results) is graded again alone by
    check_mutant, whose verdict it gets."""
    subs, alone, only_for = os.path.join(work, "subs"), [], {}
    mutants = {}
    for path in paths:
        m, problem = mutant_header(lab, path)
        if problem:
            alone.append(path)  # check_mutant says what is wrong with it
            continue
        sub = os.path.splitext(os.path.basename(path))[0]
        solution_copy(lab, os.path.join(subs, sub))
        plant(path, os.path.join(subs, sub), m["replaces"])
        mutants[sub] = (path, m)
        items = [n for n in m["expect"] if not n.startswith("build ")]
        if items:  # else every item, as check_mutant grades it
            only_for[sub] = items
    if mutants:
        with gradebook(lab).shared():
            rc, out, res, pid = run_batch(build, lab, subs, None, only_for=only_for,
                                          env={"GRADE_VALUES": "off"})
        shutil.rmtree(batch_out(subs), ignore_errors=True)
        left = leftovers(work, pid)
        if left:
            return say("failed", f"meta {lab}: mutant batch of {len(paths)}",
                       f"processes left running: {left}")
        for sub, (path, m) in sorted(mutants.items()):
            r = res.get(sub)
            if r is not None and judged(m["expect"], r, r["score"] >= r["max_score"])[1]:
                say("passed", f"meta {lab}: mutant {os.path.basename(path)}", m["what"])
            else:
                alone.append(path)
    for path in alone:
        own = os.path.join(work, "alone-" + os.path.basename(path))
        os.makedirs(own)
        check_mutant(build, lab, path, own)


def check_mutant(build, lab, path, work, first_try=False, part=None):
    """The mutant graded on the items its header names: each gets its declared verdict.
    part: "cells" (its speed cells alone: timed) or "tests" (the rest: beside the other
    checks), for a mutant split in two (mutant_jobs in run.py); None: every item at once. A part
    whose items all expect "pass" must score full, and one with a mistake among them must
    be caught. first_try (a mutant judged only by timing=sensitive tests, beside other
    checks): when only those tests are off, say nothing and return DEFER, to be graded
    again alone; whatever else is off fails as always."""
    m, problem = mutant_header(lab, path)
    name = f"meta {lab}: mutant {os.path.basename(path)}{f' ({part})' if part else ''}"
    if problem:
        return say("failed", name, problem)
    cells = speed_cells(lab, m["expect"])
    expect = {n: v for n, v in m["expect"].items()
              if part is None or (n in cells) == (part == "cells")}
    speed = [n for n in cells if n in expect]
    src = os.path.join(work, "src")
    why = ""
    for attempt in range(TIMING_TRIES if speed and not first_try else 1):
        shutil.rmtree(src, ignore_errors=True)
        solution_copy(lab, src)
        plant(path, src, m["replaces"])
        # only the items the header names (and what they need): a mutant is judged on
        # them, and the rest would only cost time
        only = [n for n in expect if not n.startswith("build ")] or None
        # a mistake the tests catch: the values' comparison with the reference (a run of it
        # per grading) is the hostile corpus's (its correct copies) and the engines'
        rc, res, out = grade(build, lab, src, work, speed or None, only=only,
                             env={"GRADE_VALUES": "off"})
        left = leftovers(work)
        if left:
            return say("failed", name, f"processes left running: {left}")
        if res is None:
            return say("failed", name, f"no results (exit {rc}):\n{out[-2000:]}")
        off, caught = judged(expect, res, rc == 0)
        if caught:
            return say("passed", name, m["what"])
        if first_try and off and set(off) <= timing_tests(lab) | set(speed):
            return DEFER  # the load of the checks beside it may be why: alone, it is judged
        # the grader's own word: an item it left inconclusive (a test that timed out or
        # failed on a machine too busy to blame the code, seen_verdicts() reading it as
        # what it saw) is the machine's doing, not a wrong verdict: a skip (after another try,
        # for a mutant whose cells are timed)
        raw = verdicts(res)
        if any(raw.get(n) != "inconclusive" for n in off) or not off:
            return say("failed", name,
                       f"{m['what']}: want/got {off or 'a full score: the mutant was not caught'}"
                       f"\n{out[-3000:]}")
        why = "; ".join(f"{n} inconclusive ({g} each time, the machine busy)"
                        for n, (_, g) in off.items())
    say("skipped", name, f"machine too disturbed to measure: {why}")


def mutant_cells(build, lab, path, work, first_try=False):
    """A split mutant's speed cells (and the tests they need), timed alone (cells that all
    time waiting: a first try beside the others, first_try)."""
    return check_mutant(build, lab, path, work, first_try, part="cells")


def mutant_tests(build, lab, path, work, first_try=False):
    """A split mutant's items other than its speed cells, beside the other checks."""
    return check_mutant(build, lab, path, work, first_try, part="tests")


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


# check_batch's items: a file of each of lab 1's (cook.c's, which cy breaks, whole)
BATCH_ITEMS = ["cook", "seq_map::results_in_order", "serve::one_order", "timer::sleep_wall"]


def check_batch(build, lab, work):
    """Batch mode: three submissions in three layouts (the solution, the skeleton, one
    with a file that does not compile), graded on a test or more of each file."""
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
        rc, out, _, pid = run_batch(build, lab, subs, None, BATCH_ITEMS)
        rows = list(csv.DictReader(open(csv_path))) if os.path.exists(csv_path) else None
    if rc != 0 or rows is None:
        return say("failed", name, f"exit {rc}:\n{out[-2000:]}")
    rows = {r["submission"]: r for r in rows}
    ada = os.path.join(batch_out(subs), "submissions", "ada", f"{lab}.json")
    want_full = json.load(open(ada))["max_score"]
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


def check_batch_refusals(build, lab, work):
    """A batch folder's own entries against the gradebook: a link to a classmate's folder
    and a link out of the batch are refused unread (0 points, the reason in the CSV and in
    their results.json, never graded); a name that is a formula is text in the CSV (a '
    before it), one with a line break and an escape sequence is \\xNN in the CSV and on
    the scoreboard; the solution beside them scores full. Two tests only, no speed cells.
    First a word of --only or --only-for that names no item refuses the batch (exit 2)."""
    name = f"meta {lab}: batch refuses links, and names are neither formulas nor escapes"
    subs = os.path.join(work, "subs")
    shutil.rmtree(subs, ignore_errors=True)
    os.makedirs(subs)
    sol = os.path.join(ROOT, "solutions", lab)
    # odd: a line break, an escape sequence and what a shell reads (o'brien once could not
    # be built: the grader made its folder through one)
    ok, formula, odd = "refusals-ok", '=cmd|x,"y"', "refusals-nl\nx\x1b[31mred o'b \"$`;"
    links = {"refusals-link": ok, "refusals-out": sol}  # a classmate's folder; outside
    for sub in (ok, formula, odd):
        shutil.copytree(sol, os.path.join(subs, sub))
    for link, target in links.items():
        os.symlink(target, os.path.join(subs, link))
    only = list(spec_items(lab)["test"])[:2]
    typos = []
    # a typo in --only (or in an --only-for's list) refuses the batch before any grading:
    # graded on the other items alone, or every submission a harness error, it would mislead
    for typo in (dict(only=only + ["no_such::item"]), dict(only_for={ok: [only[0], "nosuch"]})):
        trc, tout, tres, _ = run_batch(build, lab, subs, None, **typo)
        word = "no_such::item" if "only" in typo else "nosuch"
        if trc != 2 or f"{word} names no item of {lab}" not in tout or any(tres.values()):
            typos.append(f"{typo}: exit {trc}, results {sorted(tres)}: {tout[-300:]!r}")
    out_root = os.path.join(ROOT, "build", "batch")
    csv_path = os.path.join(out_root, f"{lab}.csv")
    with gradebook(lab).exclusive():
        rc, out, res, pid = run_batch(build, lab, subs, None, only=only)
        text = open(csv_path, newline="").read() if os.path.exists(csv_path) else ""
    odd_shown = "refusals-nl\\x0ax\\x1b[31mred o'b \"$`;"
    rows = {r["submission"]: r for r in csv.DictReader(text.splitlines())}
    want = {ok, "'" + formula, odd_shown, *links}
    problems = typos
    if rc != 0 or set(rows) != want:
        problems.append(f"exit {rc}, rows {sorted(rows)}, not {sorted(want)}")
    else:
        full = rows[ok]["max_score"]
        for sub in (ok, "'" + formula, odd_shown):
            if float(rows[sub]["score"]) != float(full) or float(full) <= 0:
                problems.append(f"{sub!r} scored {rows[sub]['score']}/{rows[sub]['max_score']}")
        for link in links:
            r, j = rows[link], res.get(link) or {}
            if (r["score"], r["max_score"], r["notes"]) != ("0", full,
                                                            "a link, not a folder: refused"):
                problems.append(f"{link}'s row: {r}")
            if j.get("score") != 0 or j.get("tests") != [] or "refused" not in j.get("output", ""):
                problems.append(f"{link}'s results.json: {str(j)[:300]}")
            if not re.search(rf"^=== {link} \(\d+ of \d+\): a link, not a folder: refused$",
                             out, re.M):
                problems.append(f"{link}: no refusal on the scoreboard")
        cells = [v for r in rows.values() for v in r.values()] + list(rows)
        if any(v and v[0] in "=+-@\t\r" for v in cells):
            problems.append("a CSV cell a spreadsheet would run")
    if text.count("\n") != 1 + len(want):
        problems.append(f"the CSV has {text.count(chr(10))} lines for {len(want)} rows")
    if "\x1b" in out or f"=== {odd_shown} (" not in out:
        problems.append("a name reached the scoreboard raw")
    left = leftovers(subs, pid)
    if left:
        problems.append(f"processes left: {left}")
    shutil.rmtree(batch_out(subs), ignore_errors=True)
    if problems:
        return say("failed", name, "; ".join(problems) + f"\n{out[-2000:]!r}")
    say("passed", name, f"{len(links)} links refused (0/{full}), 3 folders {full}/{full}, "
        f"names escaped; a typo in --only or --only-for refuses the batch")


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
        bad += clause_table_faults(open(table).read(), items, lab)
    return say("failed" if bad else "passed", name, "; ".join(bad))


def clause_table_faults(text, items, lab):
    """What is wrong with a lab's clause table (CLAUSES.md): a row number used twice (3,
    3a, 3b...: each row its own), a test (`suite::name`) or speed cell (`kind.cell`) the
    spec does not grade, a mutant not in tests/mutants (a name after the word hostile: not
    in tests/hostile). Race items are bare names, as is much of the code the rows quote:
    those are left unchecked."""
    bad, seen = [], set()
    known = set(items["test"]) | set(items["race"]) | set(items["speed"])
    files = {"mutants": {os.path.basename(p) for p in corpus("mutants", lab)},
             "hostile": {os.path.basename(p) for p in corpus("hostile", lab)}}
    for cid, row in re.findall(r"^\|\s*(\d+[a-z]?\d*)\s*\|(.*)$", text, re.M):
        if cid in seen:
            bad.append(f"CLAUSES.md numbers two rows {cid}")
        seen.add(cid)
        cells = [c.strip() for c in row.split("|")]
        if len(cells) < 3:
            continue
        # the tests column also quotes code (`fault_live()`): a `suite::name` is an item,
        # and so is a `kind.cell` that names no file
        for item in re.findall(r"`([^`]+)`", cells[1]):
            cell = re.fullmatch(r"[a-z]\w*\.\w+", item) and not re.search(r"\.(c|h|md)$", item)
            if ("::" in item or cell) and item not in known:
                bad.append(f"CLAUSES.md row {cid} names {item}, which the spec does not grade")
        for word, name in re.findall(r"(hostile\s+)?`?([\w.-]+\.(?:patch|c))\b`?", cells[2]):
            where = "hostile" if word else "mutants"
            if name not in files[where]:
                bad.append(f"CLAUSES.md row {cid} names {name}, which is not in tests/{where}")
    return bad


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


COVERAGE_ESCAPE = r'''
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lab1.h"

/* grade --coverage builds unaudited and runs unsealed: this cook() writes outside its run
 * folder on its first call. (A process it left would be reaped by the jail's first
 * process, the runner, which then waits: the run ends at its time limit, nothing left.) */
static void once(void)
{
    static int done;
    static const char *const paths[] = {@PATHS@};

    if (done++)
        return;
    for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0)
            close(fd);
    }
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    once();
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
'''


def check_coverage_jail(build, lab, work):
    """grade --coverage runs the tests in the graded runs' jail, even as root: a cook() that
    writes files outside its run folder (the kit's build folder, a folder of the caller's)
    writes nothing there, nothing of the run is left, and the coverage report is still made (red team 9, coverage_as_root). grade --debug, which
    cannot run gdb's test in the jail, refuses root."""
    name = f"meta {lab}: grade --coverage runs the code in the jail"
    if not shutil.which("gcovr"):
        return say("skipped", name, "no gcovr (apt-get install gcovr)")
    src, out = os.path.join(work, "src"), os.path.join(work, "cov")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "solutions", lab), src)
    targets = [os.path.join(ROOT, "build", f"coverage-escaped-{os.getpid()}"),
               os.path.join(work, "escaped")]
    for t in targets:
        if os.path.exists(t):
            os.remove(t)
    paths = ", ".join(json.dumps(t) for t in targets)
    with open(os.path.join(src, "cook.c"), "w") as f:
        f.write(COVERAGE_ESCAPE.replace("@PATHS@", paths))
    p = subprocess.run([os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab,
                        "--src", src, "--build", out, "--coverage", "--only", "cook"],
                       text=True, timeout=600, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    problems = [f"{t} was written" for t in targets if os.path.exists(t)]
    for t in targets:
        if os.path.exists(t):
            os.remove(t)
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe").startswith(out):
                left.append(pid)
        except OSError:
            pass
    if left:
        problems.append(f"processes left: {left}")
    if p.returncode != 0 or not re.search(r"cook\.c +lines", p.stdout):
        problems.append(f"exit {p.returncode}, no coverage of cook.c")
    if os.geteuid() == 0:  # --debug cannot take the jail: it refuses root
        d = subprocess.run([os.path.join(build, "bin", "grade"), "--root", ROOT, "--lab", lab,
                            "--src", src, "--build", out, "--debug", "cook::matches_reference"],
                           text=True, timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
        if d.returncode != 2 or "refused as root" not in d.stdout:
            problems.append(f"--debug as root: exit {d.returncode}: {d.stdout[-500:]}")
    if problems:
        return say("failed", name, "; ".join(problems) + f"\n{p.stdout[-1500:]}")
    say("passed", name, f"nothing written outside, no process left (uid {os.geteuid()})"
        + ("; --debug refused as root" if os.geteuid() == 0 else ""))

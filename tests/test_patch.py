#!/usr/bin/env python3
"""test_patch.py: the patch applier of mutant_patch.py, and every patch of the corpus
applying to today's solutions; and the clause tables' checker (run by run.py as the unit
`test_patch`)."""
import glob
import os
import shutil
import tempfile
import unittest

import mutant_patch as mp
from meta.common import ROOT, spec_items
from meta.lab_checks import clause_table_faults

SOL = "".join(f"line {i}\n" for i in range(1, 31))


def edit(text, i, new):
    lines = text.splitlines(True)
    lines[i] = new
    return "".join(lines)


class Apply(unittest.TestCase):
    def roundtrip(self, src, dst, context=3):
        self.assertEqual(mp.apply(src, mp.make(src, dst, "a", "b", context)), dst)

    def test_roundtrip(self):
        two = edit(edit(SOL, 3, "four\n"), 25, "")
        self.roundtrip(SOL, two)
        self.roundtrip(SOL, two, 2)
        self.roundtrip(SOL, "new first\n" + SOL + "new last\n")

    def test_no_newline_at_end(self):
        self.roundtrip(SOL, SOL[:-1])
        self.roundtrip(SOL[:-1], SOL)
        self.roundtrip(SOL[:-1], SOL[:-1] + " and more")

    def test_offset(self):
        diff = mp.make(SOL, edit(SOL, 20, "twenty-one\n"), "a", "b")
        moved = "added 1\nadded 2\nadded 3\n" + SOL
        self.assertEqual(mp.apply(moved, diff), edit(moved, 23, "twenty-one\n"))
        self.assertEqual(mp.apply(SOL[len("line 1\n"):], diff),
                         edit(SOL, 20, "twenty-one\n")[len("line 1\n"):])

    def test_drift_fails_naming_the_hunk(self):
        diff = mp.make(SOL, edit(edit(SOL, 3, "four\n"), 20, "twenty-one\n"), "a", "b")
        for changed in (19, 20, 22):  # a context line before, the removed line, one after
            with self.assertRaisesRegex(mp.PatchError, r"^hunk 2 \(@@ -18,7 \+18,7 @@\) "
                                        r"does not match"):
                mp.apply(edit(SOL, changed, "changed\n"), diff)

    def test_not_a_patch(self):
        with self.assertRaises(mp.PatchError):
            mp.split("/* mutant: x */\nno diff here\n")
        bad = mp.make(SOL, edit(SOL, 3, "four\n"), "a", "b").replace("@@ -1,7", "@@ -1,9")
        with self.assertRaisesRegex(mp.PatchError, "hunk 1 .* its header says 9"):
            mp.apply(SOL, bad)


class Files(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        for d in ("solutions/lab9-x", "tests/mutants/lab9-x"):
            os.makedirs(os.path.join(self.root, d))
        with open(os.path.join(self.root, "solutions/lab9-x/x.c"), "w") as f:
            f.write(SOL)
        self.full = os.path.join(self.root, "tests/mutants/lab9-x/m.c")
        self.text = "/* mutant: m\n * replaces: x.c\n * expect: t fail\n */\n" + \
            edit(SOL, 10, "eleven\n")
        with open(self.full, "w") as f:
            f.write(self.text)

    def tearDown(self):
        shutil.rmtree(self.root)

    def test_make_then_grade_gives_the_file_back(self):
        out = mp.make_patch_file(self.full, self.root)
        self.assertTrue(out.endswith("m.patch"))
        self.assertEqual(mp.graded_text(out, self.root), self.text)
        self.assertLess(len(mp.read(out).splitlines()), 20)

    def test_drifted_solution_fails_loudly(self):
        out = mp.make_patch_file(self.full, self.root)
        with open(os.path.join(self.root, "solutions/lab9-x/x.c"), "w") as f:
            f.write(edit(SOL, 11, "twelve, changed\n"))
        with self.assertRaisesRegex(mp.PatchError, r"^mutant m.patch no longer applies to "
                                    r"solutions/lab9-x/x.c: hunk 1 .*\(the solution changed; "
                                    r"update the mutant\)$"):
            mp.graded_text(out, self.root)

    def test_a_borrowed_file_patches_its_own_labs_solution(self):
        """lab10-y borrows lab9-x's x.c (spec `borrow lab9-x:x.c`) and has no x.c of its
        own: a patch of x.c in lab10-y's corpus applies to solutions/lab9-x/x.c."""
        for d in ("harness/labs/lab10-y", "solutions/lab10-y", "tests/hostile/lab10-y"):
            os.makedirs(os.path.join(self.root, d))
        with open(os.path.join(self.root, "harness/labs/lab10-y/spec"), "w") as f:
            f.write("student y.c\nborrow  lab9-x:x.c\n")
        full = os.path.join(self.root, "tests/hostile/lab10-y/h.c")
        text = "/* hostile: h\n * replaces: x.c\n * denies: t\n */\n" + edit(SOL, 3, "three\n")
        with open(full, "w") as f:
            f.write(text)
        out = mp.make_patch_file(full, self.root)
        self.assertIn("--- solutions/lab9-x/x.c", mp.read(out))
        self.assertEqual(mp.graded_text(out, self.root), text)


class Expand(unittest.TestCase):
    def test_siphash_marker(self):
        text = "int a;\n/* @SIPHASH my_sip@: pasted */\nint b;\n"
        got = mp.expand(text)
        self.assertNotIn("@SIPHASH", got)
        self.assertIn("static uint64_t my_sip(const uint64_t key[2]", got)
        self.assertIn("my_sip_le64(", got)
        self.assertNotIn("siphash24", got)  # the harness's global name: a clash at link time
        self.assertTrue(got.startswith("int a;\n") and got.endswith("int b;\n"))
        self.assertEqual(mp.expand("int a; /* no marker */\n"), "int a; /* no marker */\n")

    def test_shared_marker(self):
        """@SHARED name@ pastes tests/hostile/shared/name.c, whose own @SIPHASH@ expands."""
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.makedirs(os.path.join(root, "tests/hostile/shared"))
        os.makedirs(os.path.join(root, "harness/lib"))
        shutil.copy(os.path.join(mp.ROOT, "harness/lib/siphash.c"), os.path.join(root, "harness/lib"))
        with open(os.path.join(root, "tests/hostile/shared/piece.c"), "w") as f:
            f.write("int piece;\n/* @SIPHASH piece_sip@ */\n")
        got = mp.expand("int a;\n/* @SHARED piece@: pasted */\nint b;\n", root)
        self.assertIn("int a;\nint piece;\n", got)
        self.assertIn("static uint64_t piece_sip(", got)
        self.assertNotIn("@SHARED", got)
        self.assertNotIn("@SIPHASH", got)
        self.assertTrue(got.endswith("int b;\n"))

    def test_patch_kept_unexpanded(self):
        """make writes the marker, not the copy; the graded text has the copy."""
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        for d in ("solutions/lab9-x", "tests/hostile/lab9-x", "harness/lib"):
            os.makedirs(os.path.join(root, d))
        shutil.copy(os.path.join(mp.ROOT, "harness/lib/siphash.c"), os.path.join(root, "harness/lib"))
        with open(os.path.join(root, "solutions/lab9-x/x.c"), "w") as f:
            f.write(SOL)
        full = os.path.join(root, "tests/hostile/lab9-x/h.c")
        text = "/* hostile: h\n * replaces: x.c\n */\n" + edit(SOL, 3, "/* @SIPHASH k@ */\n")
        with open(full, "w") as f:
            f.write(text)
        out = mp.make_patch_file(full, root)
        self.assertIn("+/* @SIPHASH k@ */", mp.read(out))
        self.assertEqual(mp.graded_text(out, root, expanded=False), text)
        self.assertIn("static uint64_t k(", mp.graded_text(out, root))


class Corpus(unittest.TestCase):
    def test_every_patch_applies_to_its_solution(self):
        paths = glob.glob(os.path.join(mp.ROOT, "tests", "*", "*", "*.patch"))
        self.assertTrue(paths)
        for p in paths:
            with self.subTest(p=os.path.relpath(p, mp.ROOT)):
                mp.graded_text(p)



class ClauseTable(unittest.TestCase):
    LAB = "lab1-baselines"

    def faults(self, rows):
        return clause_table_faults(rows, spec_items(self.LAB), self.LAB)

    def test_each_fault_named(self):
        rows = ("| 3 | a clause | `cook::null_dish`, `fault_live()` | `cook_twice.patch` |\n"
                "| 3a | another | `cook::no_such`, `cook.seq`, `cook.nope`, `tests.c` | "
                "`gone.patch`; hostile `seq_defines_main.patch` |\n"
                "| 3a | a third | - | hostile `cook_twice.patch` |\n")
        self.assertEqual(self.faults(rows), [
            "CLAUSES.md row 3a names cook::no_such, which the spec does not grade",
            "CLAUSES.md row 3a names cook.nope, which the spec does not grade",
            "CLAUSES.md row 3a names gone.patch, which is not in tests/mutants",
            "CLAUSES.md numbers two rows 3a",
            "CLAUSES.md row 3a names cook_twice.patch, which is not in tests/hostile"])

    def test_every_lab_table_clean(self):
        for table in sorted(glob.glob(os.path.join(ROOT, "harness", "labs", "*", "CLAUSES.md"))):
            lab = os.path.basename(os.path.dirname(table))
            with self.subTest(lab=lab):
                self.assertEqual(clause_table_faults(mp.read(table), spec_items(lab), lab), [])

class MutantSample(unittest.TestCase):
    """make test's sample of the mutants (run.py's mutant_sample, check_unsampled)."""
    LABS = sorted(os.path.basename(os.path.dirname(p)) for p in
                  glob.glob(os.path.join(ROOT, "harness", "labs", "*", "spec")))

    def setUp(self):
        import run  # tests/run.py
        self.run = run

    def declared(self, path):
        return set(self.run.parse_mutant(path)["expect"].items())

    def test_every_declared_verdict_is_graded(self):
        for lab in self.LABS:
            paths = self.run.corpus("mutants", lab)
            every = set().union(*map(self.declared, paths))
            for seed in ("a", "b"):
                chosen = self.run.mutant_sample(lab, paths, seed)
                self.assertEqual(set().union(*map(self.declared, chosen)), every, (lab, seed))
                self.assertGreaterEqual(len(chosen), self.run.MUTANT_SHARE * len(paths))
                self.assertLess(len(chosen), len(paths), lab)

    def test_a_seed_draws_the_same_sample_and_another_seed_another(self):
        lab = "lab5-async"
        paths = self.run.corpus("mutants", lab)
        one = self.run.mutant_sample(lab, paths, "abc")
        self.assertEqual(one, self.run.mutant_sample(lab, list(reversed(paths)), "abc"))
        self.assertNotEqual(one, self.run.mutant_sample(lab, paths, "abd"))
        self.assertEqual(self.run.mutant_sample(lab, paths, None), paths)

    def test_a_left_out_mutant_that_no_longer_fits_fails(self):
        lab = "lab2-threads"
        good = self.run.corpus("mutants", lab)[0]
        with open(good) as f:
            text = f.read()
        head, diff = text.split("*/", 1)
        broken = head + "*/" + diff.replace("\n-", "\n-/* drifted */ ", 1)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "drifted.patch")
            with open(path, "w") as f:
                f.write(broken)
            before = dict(self.run.counts)
            self.run.check_unsampled(lab, [good, path], "s", d)
            self.assertEqual(self.run.counts["failed"], before.get("failed", 0) + 1)
            self.run.check_unsampled(lab, [good], "s", d)
            self.assertEqual(self.run.counts["failed"], before.get("failed", 0) + 1)
            self.assertEqual(self.run.counts["passed"], before.get("passed", 0) + 1)


if __name__ == "__main__":
    unittest.main()

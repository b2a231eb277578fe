#!/usr/bin/env python3
"""test_engines.py: the Gradescope autograder zip and the GitHub Classroom script, run
as those services run them, on a correct and a wrong submission. tests/run.py runs it
(--build BUILD); alone: python3 tests/engines/test_engines.py [--build build]."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENGINES = os.path.join(ROOT, "harness", "engines")
BUILD = os.path.join(ROOT, "build")
LAB = "lab2-threads"  # one student file, quick tests: the whole flow in about a minute
# what the engines' gradings run: the flow is under test, not lab 2 (its checks grade it whole)
GRADE_ARGS = "--no-speed --only thread_map::results_in_order,thread_map::one_job,thread_tally::totals"


def run(cmd, env=None, cwd=ROOT, timeout=900):
    p = subprocess.run(cmd, cwd=cwd, env=dict(os.environ, **(env or {})), timeout=timeout,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    return p.returncode, p.stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def unzip(path, dest):
    """As Gradescope unpacks: files with their modes (run_autograder stays executable)."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            z.extract(info, dest)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(os.path.join(dest, info.filename), mode & 0o7777)


class Gradescope(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="engines-gs-")
        os.chmod(cls.work, 0o755)
        rc, out = run(["make", "--no-print-directory", "autograder", "LAB=2",
                       f"B={cls.work}/out", "VISIBILITY=speed=after_due_date"])
        assert rc == 0, out
        cls.zip = os.path.join(cls.work, "out", "autograder", "lab2-autograder.zip")
        # Gradescope's layout: the zip in source/, run_autograder copied beside it
        cls.ag = os.path.join(cls.work, "autograder")
        unzip(cls.zip, os.path.join(cls.ag, "source"))
        rc, out = run(["bash", os.path.join(cls.ag, "source", "setup.sh")],
                      env={"AUTOGRADER_ROOT": cls.ag, "AUTOGRADER_SKIP_APT": "1"})
        assert rc == 0, out[-3000:]
        shutil.copy(os.path.join(cls.ag, "source", "run_autograder"), cls.ag)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def grade(self, files):
        """files: {path in the submission: source path}; returns results.json."""
        sub = os.path.join(self.ag, "submission")
        shutil.rmtree(sub, ignore_errors=True)
        shutil.rmtree(os.path.join(self.ag, "results"), ignore_errors=True)
        for rel, src in files.items():
            os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
            shutil.copy(src, os.path.join(sub, rel))
        rc, out = run([os.path.join(self.ag, "run_autograder")],
                      env={"AUTOGRADER_ROOT": self.ag, "AUTOGRADER_GRADE_ARGS": GRADE_ARGS},
                      cwd=self.ag)
        self.assertEqual(rc, 0, out[-3000:])
        with open(os.path.join(self.ag, "results", "results.json"), encoding="utf-8") as f:
            return json.load(f), out

    def test_zip_holds_this_labs_reference_alone(self):
        names = zipfile.ZipFile(self.zip).namelist()
        for need in ("setup.sh", "run_autograder", "engines.conf", "kit/Makefile",
                     "kit/VERSION", "kit/harness/engines/stage.sh",
                     f"kit/labs/{LAB}/threads.c", f"kit/harness/labs/{LAB}/spec",
                     f"kit/solutions/{LAB}/threads.c"):
            self.assertIn(need, names)
        self.assertFalse([n for n in names if n.startswith("kit/tests")], "no tests/ in the zip")
        self.assertEqual({n.split("/")[2] for n in names if n.startswith("kit/solutions/")},
                         {LAB}, "the reference of this lab (it borrows from none), no other")
        z = zipfile.ZipFile(self.zip)
        for lab in os.listdir(os.path.join(ROOT, "solutions")):
            d = os.path.join(ROOT, "solutions", lab)
            for f in os.listdir(d) if os.path.isdir(d) else []:
                sol = read(os.path.join(d, f))
                for n in names:
                    if n.endswith("/" + f) and not n.startswith("kit/solutions/"):
                        self.assertNotEqual(z.read(n), sol, f"{n} is the solution")
        conf = z.read("engines.conf").decode()
        self.assertIn(f"LAB={LAB}\n", conf)
        self.assertIn("GRADESCOPE_VISIBILITY=speed=after_due_date\n", conf)

    def test_reference_is_roots_alone_after_setup(self):
        sols = os.path.join(self.ag, "source", "kit", "solutions")
        for d, _, files in os.walk(sols):
            for p in [d] + [os.path.join(d, f) for f in files]:
                st = os.stat(p)
                self.assertEqual(st.st_mode & 0o077, 0, f"{p}: others may read it")
                if os.geteuid() == 0:
                    self.assertEqual(st.st_uid, 0, p)

    def test_lab6_zip_holds_the_borrowed_labs_references(self):
        with tempfile.TemporaryDirectory() as t:
            out = os.path.join(t, "lab6.zip")
            rc, log = run([os.path.join(ENGINES, "make_autograder.sh"), ROOT, "lab6-choosing", out])
            self.assertEqual(rc, 0, log)
            labs = {n.split("/")[2] for n in zipfile.ZipFile(out).namelist()
                    if n.startswith("kit/solutions/")}
        self.assertEqual(labs, {"lab2-threads", "lab3-processes", "lab4-gil", "lab5-async",
                                "lab6-choosing"})

    def test_correct_submission_in_a_folder(self):
        sol = os.path.join(ROOT, "solutions", LAB, "threads.c")
        d, out = self.grade({"my work/threads.c": sol, "notes/readme.txt": sol})
        self.assertIn("my work/threads.c", out, "stage.sh says where it found the file")
        self.assertEqual(d["score"], d["max_score"], d["output"][:2000])
        self.assertGreater(d["max_score"], 0)
        self.assertNotIn("no reference solution here", d["output"],
                         "the values of the marked tests were compared with the reference's")
        self.assertTrue(all(t["status"] == "passed" for t in d["tests"]))
        self.assertEqual(d["output_format"], "md")
        self.assertTrue(all(t["number"] and t["visibility"] == "visible" for t in d["tests"]))
        e = d["extra_data"]
        for key in ("cpu_model", "usable_cores", "cpu_quota", "load_before", "kernel",
                    "compiler", "kit_version", "seed", "cores_why"):
            self.assertIn(key, e)
        version = zipfile.ZipFile(self.zip).read("kit/VERSION").decode().strip()
        self.assertEqual(e["kit_version"], version, "the zip's VERSION, not git")
        self.assertTrue(os.path.exists(os.path.join(self.ag, "results", "junit.xml")))

    def test_wrong_submission_flat(self):
        skel = os.path.join(ROOT, "labs", LAB, "threads.c")
        d, _ = self.grade({"threads.c": skel})
        self.assertLess(d["score"], d["max_score"])
        tests = [t for t in d["tests"] if t["extra_data"]["kind"] == "test"]
        self.assertTrue(tests and all(t["status"] == "failed" for t in tests))
        self.assertTrue(all(t["extra_data"]["verdict"] == "not implemented" for t in tests))
        self.assertTrue(tests[0]["output"].startswith("**not implemented**"), tests[0])

    def test_nothing_submitted(self):
        d, out = self.grade({"essay.txt": os.path.join(ROOT, "README.md")})
        self.assertIn("threads.c not in the submission", out)
        self.assertEqual(d["score"], 0)
        self.assertTrue(d["tests"], "still graded: the skeleton stands in")


class Stage(unittest.TestCase):
    def test_lab6_borrows_earlier_labs(self):
        with tempfile.TemporaryDirectory() as t:
            sub, dest = os.path.join(t, "sub"), os.path.join(t, "dest")
            sol = os.path.join(ROOT, "solutions")
            files = {"hw6/gilpool.c": f"{sol}/lab6-choosing/gilpool.c",
                     "hw6/hybrid.c": f"{sol}/lab6-choosing/hybrid.c",
                     "hw6/lab4-gil/gil.c": f"{sol}/lab4-gil/gil.c",
                     "gil.c": f"{ROOT}/README.md",  # nearer the top, but not in lab4-gil/
                     "a/b/threads.c": f"{sol}/lab2-threads/threads.c"}
            for rel, src in files.items():
                os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
                shutil.copy(src, os.path.join(sub, rel))
            os.symlink("/etc/passwd", os.path.join(sub, "procs.c"))
            rc, out = run([os.path.join(ENGINES, "stage.sh"), ROOT, "lab6-choosing", sub, dest])
            self.assertEqual(rc, 0, out)
            got = lambda p: read(os.path.join(dest, "labs", p))
            self.assertEqual(got("lab6-choosing/hybrid.c"), read(files["hw6/hybrid.c"]))
            self.assertEqual(got("lab4-gil/gil.c"), read(f"{sol}/lab4-gil/gil.c"))
            self.assertEqual(got("lab2-threads/threads.c"), read(f"{sol}/lab2-threads/threads.c"))
            self.assertFalse(os.path.exists(os.path.join(dest, "labs", "lab3-processes",
                                                         "procs.c")), "a link is never taken")
            self.assertIn("lab5-async/loop.c not in the submission", out)

    def test_a_newline_in_a_folder_name_is_no_second_path(self):
        """A folder named "z\n0 <a file outside>": the file inside it is taken, never the
        outside one (red team: find|awk|cut read the name's second line as a path)."""
        with tempfile.TemporaryDirectory() as t:
            sub, dest = os.path.join(t, "sub"), os.path.join(t, "dest")
            outside = os.path.join(t, "outside", "gil.c")
            os.makedirs(os.path.dirname(outside))
            with open(outside, "w") as f:
                f.write("/* the file outside */\n")
            inside = os.path.join(sub, "z\n0 " + outside.rsplit("/", 1)[0])
            os.makedirs(inside)
            with open(os.path.join(inside, "gil.c"), "w") as f:
                f.write("int broken(\n")
            rc, out = run([os.path.join(ENGINES, "stage.sh"), ROOT, "lab4-gil", sub, dest])
            self.assertEqual(rc, 0, out)
            self.assertEqual(read(os.path.join(dest, "labs", "lab4-gil", "gil.c")),
                             b"int broken(\n", out)


FAKE_GRADER = r'''#!/usr/bin/env python3
# A stand-in for build/bin/grade: cell c1 inconclusive at first, then as $FAKE_RETIMED says.
import json, os, sys
a = sys.argv
out = a[a.index("--out") + 1]
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(" ".join(a[1:]) + "\n")
retimed = "--only" in a
def item(name, kind, v, pts, got=0, out=""):
    return {"name": name, "score": got, "max_score": pts, "status": "passed" if v == "pass" else "failed",
            "output": out, "extra_data": {"verdict": v, "kind": kind}}
c1 = os.environ["FAKE_RETIMED"] if retimed else "inconclusive"
tests = [item("t::ok", "test", "pass", 2, 2),
         item("t::bad", "test", "fail", 1, 0, "**fail**\n\n- hint: read the \\*contract\\*\n\n```text\nwant 3, got 4\n```\n"),
         item("c1", "speed", c1, 4, 4 if c1 == "pass" else 0,
              "**INCONCLUSIVE**: tasks waited for a CPU 90% of the time\n" if c1 == "inconclusive" else ""),
         item("c2", "speed", "pass", 3, 3)]
if retimed:
    tests = [t for t in tests if t["name"] in ("t::ok", "c1")]
json.dump({"score": sum(t["score"] for t in tests), "max_score": 10, "tests": tests,
           "extra_data": {"seed": 42}}, open(out, "w"))
sys.exit(1)
'''


class Classroom(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="engines-cl-")
        self.fake = os.path.join(self.work, "grade")
        with open(self.fake, "w") as f:
            f.write(FAKE_GRADER)
        os.chmod(self.fake, 0o755)
        self.log = os.path.join(self.work, "log")
        self.out = os.path.join(self.work, "github_output")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def classroom(self, retimed, **env):
        env = dict({"GRADE": self.fake, "FAKE_LOG": self.log, "FAKE_RETIMED": retimed,
                    "GITHUB_OUTPUT": self.out}, **env)
        rc, out = run([os.path.join(ENGINES, "classroom.sh"), "2"], env=env)
        self.assertEqual(rc, 0, out)
        line = read(self.out).decode().strip()
        self.assertTrue(line.startswith("result="), line)
        return json.loads(base64.b64decode(line[len("result="):])), read(self.log).decode(), out

    def test_retimed_once_then_passes(self):
        r, log, _ = self.classroom("pass")
        calls = log.splitlines()
        self.assertEqual(len(calls), 2, log)
        self.assertIn("--only c1", calls[1])
        self.assertIn("--seed 42", calls[1], "the same inputs")
        by = {t["name"]: t for t in r["tests"]}
        self.assertEqual((by["c1"]["status"], by["c1"]["score"]), ("pass", 4))
        self.assertEqual((by["t::bad"]["status"], by["t::bad"]["score"]), ("fail", 0))
        self.assertEqual(by["t::bad"]["message"], "fail; want 3, got 4; hint: read the *contract*")
        self.assertEqual((r["version"], r["max_score"], r["status"]), (1, 10, "fail"))
        self.assertEqual(sum(t["score"] for t in r["tests"]), 9, "partial credit per item")

    def test_still_inconclusive_is_left_for_regrade(self):
        r, log, _ = self.classroom("inconclusive")
        self.assertEqual(len(log.splitlines()), 2, "re-timed once only")
        c1 = {t["name"]: t for t in r["tests"]}["c1"]
        self.assertEqual((c1["status"], c1["score"]), ("error", 0))
        self.assertIn("tasks waited for a CPU", c1["message"])
        self.assertIn("not a fail; left for the instructor's regrade", c1["message"])

    def test_policy_credit_and_no_retime(self):
        r, log, _ = self.classroom("inconclusive", CLASSROOM_INCONCLUSIVE="credit",
                                   CLASSROOM_RETIME="0")
        self.assertEqual(len(log.splitlines()), 1, "CLASSROOM_RETIME=0: no second run")
        c1 = {t["name"]: t for t in r["tests"]}["c1"]
        self.assertEqual((c1["status"], c1["score"]), ("pass", 4))
        self.assertIn("credited", c1["message"])

    def test_credit_is_for_speed_cells_only(self):
        res = {"tests": [
            {"name": "c1", "score": 0, "max_score": 4, "output": "busy",
             "extra_data": {"verdict": "inconclusive", "kind": "speed"}},
            {"name": "t::hang", "score": 0, "max_score": 2, "output": "timed out 3 times",
             "extra_data": {"verdict": "inconclusive", "kind": "test"}}]}
        path = os.path.join(self.work, "res.json")
        with open(path, "w") as f:
            json.dump(res, f)
        rc, out = run([sys.executable, os.path.join(ENGINES, "classroom_report.py"), "reporter",
                       path, "credit"])
        self.assertEqual(rc, 0, out)
        by = {t["name"]: t for t in json.loads(out)["tests"]}
        self.assertEqual((by["c1"]["status"], by["c1"]["score"]), ("pass", 4))
        self.assertEqual((by["t::hang"]["status"], by["t::hang"]["score"]), ("error", 0),
                         "a test is never credited unmeasured")

    def test_real_grader_on_the_solution(self):
        build = os.environ.get("ENGINES_BUILD", BUILD)
        if not os.access(os.path.join(build, "bin", "grade"), os.X_OK):
            self.skipTest("no grader built")
        rc, out = run([os.path.join(ENGINES, "classroom.sh"), "2"],
                      env={"GRADE": os.path.join(build, "bin", "grade"),
                           "CLASSROOM_SRC": os.path.join(ROOT, "solutions", LAB),
                           "CLASSROOM_GRADE_ARGS": GRADE_ARGS, "GITHUB_OUTPUT": self.out})
        self.assertEqual(rc, 0, out[-3000:])
        r = json.loads(base64.b64decode(read(self.out).decode().strip()[len("result="):]))
        self.assertEqual(r["status"], "pass", r)
        self.assertEqual(sum(t["score"] for t in r["tests"]), r["max_score"])
        self.assertGreater(r["max_score"], 0)


class Release(unittest.TestCase):
    def test_release_keeps_github_and_engines(self):
        with tempfile.TemporaryDirectory() as t:
            rc, out = run(["make", "--no-print-directory", "release", f"B={t}"])
            self.assertEqual(rc, 0, out)
            rc, names = run(["tar", "tzf", os.path.join(t, "release",
                                                       "restaurant-lab-student.tar.gz")])
            for need in (".github/workflows/classroom.yml", "harness/engines/classroom.sh",
                         "harness/engines/classroom_report.py", "harness/engines/stage.sh"):
                self.assertIn("restaurant-lab/" + need, names.split())
            self.assertNotIn("restaurant-lab/solutions/", names)


if __name__ == "__main__":
    if "--build" in sys.argv:
        i = sys.argv.index("--build")
        os.environ["ENGINES_BUILD"] = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    unittest.main(verbosity=2)

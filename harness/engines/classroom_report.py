#!/usr/bin/env python3
"""classroom_report.py: the grader's results.json as GitHub Classroom's reporter reads it.

  classroom_report.py inconclusive RESULTS.json        the speed cells to re-time, a line each
  classroom_report.py merge FIRST.json RETIMED.json    FIRST with the re-timed items put in
  classroom_report.py reporter RESULTS.json POLICY     the reporter's JSON (stdout)

The reporter (classroom-resources/autograding-grading-reporter) reads, base64-encoded in
the step's `result` output, {"version": 1, "status", "max_score", "tests": [{"name",
"status": "pass"|"fail"|"error", "score", "message", ...}]} and adds up the tests'
scores: partial credit per item. POLICY says what an inconclusive speed cell (the
machine too busy to measure, even after re-timing) becomes: "regrade" (default: status
"error", 0 points, the message says it is left for the instructor's regrade) or "credit"
(its points, the message says it was not measured). A test (not a speed cell) left
inconclusive is always left for the regrade: a hang whose own load made the machine
look busy must not earn its points.
"""
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def verdict(t):
    return t.get("extra_data", {}).get("verdict", "")


def inconclusive(results):
    return [t["name"] for t in results["tests"]
            if verdict(t) == "inconclusive" and t.get("extra_data", {}).get("kind") == "speed"]


def merge(first, retimed):
    """Each re-timed item replaces its first measurement: the verdict of the second is the
    one that counts (a pass, a fail, or inconclusive still)."""
    names = set(inconclusive(first))
    again = {t["name"]: t for t in retimed["tests"] if t["name"] in names}
    first["tests"] = [again.get(t["name"], t) for t in first["tests"]]
    first["score"] = sum(t.get("score", 0) for t in first["tests"])
    return first


def first_line(text):
    for line in (text or "").splitlines():
        line = line.strip().replace("**", "")
        if line:
            return line
    return ""


def hint(t):
    """The hint line of an item's Markdown ("- hint: ..."), unescaped."""
    for line in (t.get("output") or "").splitlines():
        if line.startswith("- hint: "):
            return line[2:].replace("\\", "")
    return ""


def detail(t):
    """The first line of an item's details (the first code block of its Markdown)."""
    inside = False
    for line in (t.get("output") or "").splitlines():
        if line.startswith("```"):
            if inside:
                break
            inside = True
        elif inside and line.strip():
            return line.strip()
    return ""


def test_entry(t, policy):
    v, pts = verdict(t), t.get("max_score", 0)
    out = {"name": t["name"], "score": t.get("score", 0), "max_score": pts,
           "execution_time": "", "line_no": 0, "filename": "", "test_code": ""}
    if v == "pass":
        return dict(out, status="pass", message="")
    reason = first_line(t.get("output"))
    speed = t.get("extra_data", {}).get("kind") == "speed"
    if v == "inconclusive" and policy == "credit" and speed:
        return dict(out, status="pass", score=pts,
                    message=f"inconclusive, credited by the course's policy: {reason}")
    if v == "inconclusive":
        return dict(out, status="error", score=0,
                    message=f"{reason} (inconclusive after re-timing: not a fail; left for "
                            "the instructor's regrade)")
    if v == "harness error":
        return dict(out, status="error",
                    message=f"{reason} (the grader's fault, not your code: regrade)")
    return dict(out, status="fail", message="; ".join(x for x in (v, detail(t), hint(t)) if x))


def reporter(results, policy="regrade"):
    tests = [test_entry(t, policy) for t in results["tests"]]
    statuses = {t["status"] for t in tests}
    status = "pass" if statuses <= {"pass"} else "fail" if "fail" in statuses else "error"
    return {"version": 1, "status": status, "max_score": results.get("max_score", 0),
            "tests": tests}


def main(argv):
    if len(argv) == 3 and argv[1] == "inconclusive":
        print("\n".join(inconclusive(load(argv[2]))))
    elif len(argv) == 4 and argv[1] == "merge":
        json.dump(merge(load(argv[2]), load(argv[3])), sys.stdout, indent=1)
    elif len(argv) in (3, 4) and argv[1] == "reporter":
        policy = argv[3] if len(argv) == 4 else "regrade"
        if policy not in ("regrade", "credit"):
            sys.exit(f"classroom_report: policy is regrade or credit, not {policy}")
        json.dump(reporter(load(argv[2]), policy), sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""mutant_patch.py: mutants (and hostile files) stored as small patches of a solution file.

A `.patch` file is a header, the C comment block that says what the file is (`mutant:` or
`hostile:`, `replaces:`, `expect:` ... lines), then a unified diff (`diff -u`) against
`solutions/<lab>/<replaces>`. The file graded is the header followed by the patched
solution, so a patch states only its mistake, and a change to the solution that the mistake
no longer fits fails loudly instead of leaving a stale copy behind. Python stdlib only: a
fresh Debian may have no `patch` program.

    python3 tests/mutant_patch.py make FILE.c...   a full edited copy (header + solution
                                                   with the mistake) -> FILE.patch
    python3 tests/mutant_patch.py show FILE.patch  print the file that is graded
    python3 tests/mutant_patch.py show --raw FILE  the same before @SHARED name@ and
                                                   @SIPHASH name@ are expanded (to edit,
                                                   then make again)
"""
import difflib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NO_EOL = "\\ No newline at end of file"


def read(path):
    with open(path) as f:
        return f.read()


class PatchError(Exception):
    """A patch that does not fit its source (or is not a patch); says which hunk."""


def split(text):
    """(header, diff): the diff starts at the first '--- ' line followed by '+++ '."""
    lines = text.splitlines(True)
    for i in range(len(lines) - 1):
        if lines[i].startswith("--- ") and lines[i + 1].startswith("+++ "):
            return "".join(lines[:i]), "".join(lines[i:])
    raise PatchError("no unified diff ('--- ' and '+++ ' lines) after the header")


def parse_hunks(diff):
    """[(number, header line, old start, old lines, new lines)] of a unified diff."""
    hunks, cur, last = [], None, None
    for line in diff.splitlines(True)[2:]:
        m = HUNK.match(line)
        if m:
            cur = (len(hunks) + 1, line.strip(), int(m.group(1)), [], [],
                   int(m.group(2) or 1), int(m.group(4) or 1))
            hunks.append(cur)
        elif cur is None:
            raise PatchError(f"a line before the first hunk: {line.rstrip()!r}")
        elif line.rstrip("\n") == NO_EOL:  # the line before has no newline
            for side in ((3, 4) if last == " " else (3,) if last == "-" else (4,)):
                cur[side][-1] = cur[side][-1][:-1]
        elif line[:1] in (" ", "-", "+") or line == "\n":
            last = line[:1] if line != "\n" else " "
            text = line[1:] if line != "\n" else "\n"
            if last != "+":
                cur[3].append(text)
            if last != "-":
                cur[4].append(text)
        else:
            raise PatchError(f"hunk {cur[0]} ({cur[1]}): not a diff line: {line.rstrip()!r}")
    for n, head, _, old, new, n_old, n_new in hunks:
        if (len(old), len(new)) != (n_old, n_new):
            raise PatchError(f"hunk {n} ({head}) has {len(old)} old and {len(new)} new lines, "
                             f"its header says {n_old} and {n_new}")
    return [h[:5] for h in hunks]


def find(lines, block, want, lo):
    """Where block occurs in lines at or after lo, the nearest to want first; None if nowhere."""
    for d in range(len(lines) + 1):
        for at in ((want - d, want + d) if d else (want,)):
            if lo <= at <= len(lines) - len(block) and lines[at:at + len(block)] == block:
                return at
    return None


def apply(source, diff):
    """source with the diff's hunks applied; each hunk's context and removed lines must
    match exactly, anywhere at or after the previous hunk (the nearest to its stated line)."""
    lines, out, done, shift = source.splitlines(True), [], 0, 0
    for n, head, start, old, new in parse_hunks(diff):
        want = start - 1 + shift if old else start + shift
        at = find(lines, old, max(want, done), done)
        if at is None:
            first = next((s for s in old if s.strip()), old[0] if old else "")
            raise PatchError(f"hunk {n} ({head}) does not match: its lines from "
                             f"{first.strip()!r} are not in the file")
        shift = at - (start - 1 if old else start)
        out += lines[done:at] + new
        done = at + len(old)
    return "".join(out + lines[done:])


def make(source, target, from_name, to_name, context=3):
    """The unified diff that turns source into target."""
    out = []
    for line in difflib.unified_diff(source.splitlines(True), target.splitlines(True),
                                     from_name, to_name, n=context):
        out.append(line if line.endswith("\n") else line + "\n" + NO_EOL + "\n")
    return "".join(out)


def header_of(text):
    """The leading C comment block of a full file, with its newline."""
    end = text.find("*/")
    if not text.startswith("/*") or end < 0:
        raise PatchError("no leading /* ... */ header")
    return text[:text.index("\n", end) + 1]


def borrowed(lab, root=ROOT):
    """{file: the earlier lab it comes from} for the files a lab borrows (its spec's
    `borrow lab5-async:loop.c` lines); {} for a lab that borrows none."""
    spec = os.path.join(root, "harness", "labs", lab, "spec")
    lines = re.findall(r"^borrow\s+(.*)$", read(spec), re.M) if os.path.exists(spec) else []
    return {name: other for line in lines for other, name in
            (entry.split(":", 1) for entry in line.split())}


def solution_path(lab, header, root=ROOT):
    """The solution file a patch applies to: solutions/<lab>/<replaces>, or, for a file the
    lab borrows from an earlier one, that lab's."""
    m = re.search(r"replaces:\s*(\S+)", header)
    if not m:
        raise PatchError("the header has no replaces: line")
    own = os.path.join(root, "solutions", lab, m.group(1))
    other = None if os.path.exists(own) else borrowed(lab, root).get(m.group(1))
    return os.path.join(root, "solutions", other, m.group(1)) if other else own


SIPHASH = re.compile(r"^.*@SIPHASH (\w+)@.*\n", re.M)


def siphash_copy(name, root=ROOT):
    """harness/lib/siphash.c as a static function `name` of the file graded: the copy an
    attack that forges a keyed line pastes in (the kit is public), kept once, here."""
    text = read(os.path.join(root, "harness", "lib", "siphash.c"))
    text = text.replace('#include "siphash.h"\n', "#include <stddef.h>\n#include <stdint.h>\n")
    text = text.replace("uint64_t siphash24(", f"static uint64_t {name}(")
    return ("#undef ROTL\n#undef SIPROUND\n" + text.replace("le64", f"{name}_le64") +
            "#undef ROTL\n#undef SIPROUND\n")


SHARED = re.compile(r"^.*@SHARED (\w+)@.*\n", re.M)


def expand(text, root=ROOT):
    """A line that names @SHARED name@ becomes tests/hostile/shared/name.c (code that
    several attacks paste in); then a line that names @SIPHASH name@ becomes
    siphash_copy(name)."""
    text = SHARED.sub(lambda m: read(os.path.join(root, "tests", "hostile", "shared",
                                                  m.group(1) + ".c")), text)
    return SIPHASH.sub(lambda m: siphash_copy(m.group(1), root), text)


def graded_text(path, root=ROOT, expanded=True):
    """The file graded for a mutant or hostile file: a `.c` as it is, a `.patch` as its
    header followed by the solution it replaces with its diff applied; then (expanded) the
    lines naming @SHARED name@ or @SIPHASH name@ replaced by what they name (expand). A patch
    that no longer applies raises PatchError naming the file, the solution and the hunk."""
    text = read(path)
    if not path.endswith(".patch"):
        return expand(text, root) if expanded else text
    lab = os.path.basename(os.path.dirname(path))
    kind = "mutant" if os.sep + "mutants" + os.sep in path else "hostile file"
    try:
        header, diff = split(text)
        sol = solution_path(lab, header, root)
        text = header + apply(read(sol), diff)
    except (PatchError, OSError) as e:
        rel = os.path.relpath(sol, root) if "sol" in locals() else f"solutions/{lab}"
        raise PatchError(f"{kind} {os.path.basename(path)} no longer applies to {rel}: {e} "
                         f"(the solution changed; update the {kind.split()[0]})") from None
    return expand(text, root) if expanded else text


def make_patch_file(path, root=ROOT, context=3):
    """A full edited copy (header + solution with the mistake) -> the .patch beside it,
    checked to give the copy back byte for byte. Returns the .patch's path."""
    text = read(path)
    header = header_of(text)
    lab = os.path.basename(os.path.dirname(os.path.abspath(path)))
    sol = solution_path(lab, header, root)
    name = os.path.splitext(os.path.basename(path))[0]
    diff = make(read(sol), text[len(header):], os.path.relpath(sol, root),
                f"{name} (the mistake)", context)
    if not diff:
        raise PatchError(f"{path}: the same as {os.path.relpath(sol, root)}")
    out = os.path.splitext(path)[0] + ".patch"
    with open(out, "w") as f:
        f.write(header + diff)
    if graded_text(out, root, expanded=False) != text:
        raise PatchError(f"{out}: does not give {path} back")  # never expected: loudly
    return out


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        for p in argv[1:]:
            print(make_patch_file(p))
        return 0
    if len(argv) in (2, 3) and argv[0] == "show" and argv[1:-1] in ([], ["--raw"]):
        sys.stdout.write(graded_text(os.path.abspath(argv[-1]), expanded=len(argv) == 2))
        return 0
    print(__doc__.split("\n\n")[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

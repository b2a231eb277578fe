#!/bin/bash
# setup.sh: Gradescope runs it once, as root, when it builds the autograder's image:
# Debian/Ubuntu packages for the kit, then the grader built from the kit in source/kit.
# AUTOGRADER_ROOT (default /autograder) and AUTOGRADER_SKIP_APT=1 serve the kit's tests.
set -euo pipefail

root=${AUTOGRADER_ROOT:-/autograder}
kit="$root/source/kit"

if [ "${AUTOGRADER_SKIP_APT:-0}" != 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # make and gcc; Criterion and pkg-config for the tests; bubblewrap for the sandbox's
    # namespaces (the grader goes on without them, and says so); python3 for nothing of
    # the grading, only the kit's own tooling.
    apt-get install -y -q --no-install-recommends build-essential libcriterion-dev \
        pkg-config bubblewrap ca-certificates
    # nanopb's archive: the test runners link Criterion statically, faster (harness/criterion/)
    apt-get install -y -q --no-install-recommends libnanopb-dev ||
        echo "setup.sh: no libnanopb-dev: the test runners link libcriterion.so (slower)"
fi
# B=build: where run_autograder looks (a B in the environment must not move it); on every
# core the image has (the grader is some 80 files: 32 s on one core, 20 on two)
# The reference solutions (values judged outside the run, harness/grader/values.c): root's
# alone, so no run reads them even where namespaces cannot be had (Gradescope's containers)
if [ -d "$kit/solutions" ]; then
    chown -R 0:0 "$kit/solutions"
    chmod -R go-rwx "$kit/solutions"
fi
make -C "$kit" --no-print-directory -j"$(nproc 2>/dev/null || echo 1)" B=build tools
chmod +x "$root/source/run_autograder"

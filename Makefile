# The restaurant lab: concurrency vs parallelism in C. `make help` lists the targets.

# An instrumented build (COVERAGE=1) keeps to a folder of its own.
B       ?= $(if $(COVERAGE),build/cov,build)
CC      ?= cc
LAB     ?=
SOLUTION ?=
SEED    ?=
ONLY    ?=
SPEED   ?=
DIR     ?=
VERSION ?=
WORKERS ?=
JOBS    ?=
WORKLOAD ?=
BASELINE ?=
RUNS    ?=
SKEW    ?=
TEST    ?=
PARALLEL ?=
MUTANTS ?=
MEASURE ?=

# One list of compile flags for everything (harness/cflags); the grader reads it too.
KIT_CFLAGS  := $(shell grep -v '^\#' harness/cflags)
CFLAGS_BASE := $(KIT_CFLAGS) -Iharness/include -Iharness/grader
HFLAGS      := $(CFLAGS_BASE) $(if $(COVERAGE),-O0 --coverage -DCOVERAGE,-O2)
# Lazy (=): read when a recipe runs, after deps-criterion may have installed Criterion.
CR_CFLAGS    = $(shell pkg-config --cflags criterion 2>/dev/null)
CR_LIBS      = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
# The kit's own unit tests: the static Criterion when make built it (criterion-kit.txt says
# "static", harness/criterion/build.sh), as the lab test runners link it; else CR_LIBS.
CR_KIT_TXT   = $(B)/harness/criterion-kit.txt
CR_UNIT_LIBS = $(shell sed -n '1{/^static$$/!q1}; 2{s|^|$(B)/harness/libcriterion-kit.a |p}' $(CR_KIT_TXT) 2>/dev/null || pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# harness/grader: the grade program's modules (grade.c holds its main).
# harness/lib: what lab code links with (libharness.a). The grader also uses the
# workload and the kitchen from it, instrumented like its own modules.
# harness/drivers: programs built from lab code at grading time (bench.c), the kitchen's main.
HSRC      := $(filter-out harness/grader/grade.c,$(wildcard harness/grader/*.c)) \
             harness/lib/workload.c harness/lib/siphash.c $(wildcard harness/lib/kitchen*.c)
HOBJ      := $(patsubst harness/%.c,$(B)/obj/%.o,$(HSRC))
# What student code links with: reference answers, test helpers. Never instrumented,
# since it runs as an unprivileged user who cannot write coverage files.
LIB_SRC   := $(wildcard harness/lib/*.c)
LIB_OBJ   := $(LIB_SRC:harness/lib/%.c=$(B)/libobj/%.o)
UNIT_SRC  := $(wildcard tests/harness/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/harness/%.c=$(B)/tests/%)
PROG_SRC  := $(wildcard tests/harness/jail_progs/*.c)
PROG_BIN  := $(PROG_SRC:tests/harness/jail_progs/%.c=$(B)/tests/jail_progs/%)
TOOLS     := $(B)/bin/grade $(B)/bin/kitchen $(B)/harness/libharness.a $(B)/harness/criterion-kit.txt

LABS      := $(sort $(notdir $(wildcard labs/lab*-*)))
TREE      := $(if $(SOLUTION),solutions,labs)
CHECKED   := $(if $(LAB),$(notdir $(wildcard labs/lab$(LAB)-*)),$(LABS))
GRADE     = CRITERION_LIBS="$(CR_LIBS)" $(B)/bin/grade --root $(CURDIR) $(if $(SEED),--seed $(SEED))

.PHONY: help check matrix test unit meta coverage grade regrade release autograder clean deps tools-fast \
        tools format format-check run watch debug test-build
.DEFAULT_GOAL := help

# Only what works in this tree: the student release has no solutions/ and no tests/.
HAS_SOL   := $(wildcard solutions)
HAS_TESTS := $(wildcard tests/run.py)
help:
	@echo 'Targets:'
	@echo '  make check LAB=N         grade your copy in labs/labN-*: tests, then speed'
	@test -z '$(HAS_SOL)' || echo '  make check LAB=N SOLUTION=1   grade the reference solution instead'
	@echo '  make check               grade every lab'
	@echo '  make matrix              the note'"'"'s table from your labs 1-6 results (+ CPython'"'"'s); MEASURE=1 first grades missing, stale, inconclusive cells'
	@echo '  make run LAB=N VERSION=v time one version of your code now: wall, CPU, speedup'
	@echo '       [WORKLOAD=cpu|io|mixed JOBS=8 WORKERS=P BASELINE=ref RUNS=3 SKEW=skewed]'
	@echo '  make run LAB=N           list the lab'"'"'s versions'
	@echo '  make watch LAB=N         rerun the tests (SPEED=0) each time you save a file'
	@echo '  make debug LAB=N TEST=suite::name   that one test under gdb, set up as make check runs it'
	@echo '  make coverage LAB=N      which lines of your files the tests ran (gcovr; build/coverage/labN/)'
	@test -z '$(HAS_TESTS)' || echo '  make test                the kit'"'"'s own tests (harness units, solutions, mutants)'
	@test -z '$(HAS_TESTS)' || echo '  make coverage            make test with coverage; HTML/JSON/XML in build/coverage/'
	@echo '  make grade LAB=N DIR=D   batch-grade each submission folder in D (+ CSV gradebook; ONLY=items: those alone)'
	@echo '  make regrade LAB=N DIR=D re-time only the cells the last batch left inconclusive'
	@test -z '$(HAS_SOL)' || echo '  make release             a student copy without solutions/ and tests/'
	@echo '  make autograder LAB=N    a Gradescope autograder zip for lab N (VISIBILITY=speed=after_due_date)'
	@echo '  make deps                install Criterion, gcovr and bubblewrap (as root) or say how'
	@echo '  make tools               only build build/bin/grade (see its --help) and the kitchen'
	@echo '  make format-check        the C files against .clang-format (CI runs it); make format fixes'
	@echo '  make clean               remove build/'
	@echo 'Variables:'
	@echo '  LAB=N  SEED=n (replay a run'"'"'s inputs)  DIR=submissions/  B=build$(if $(HAS_SOL),  SOLUTION=1)'
	@echo '  ONLY=serve,cook.seq      make check: only these tests, suites or cells (a quick loop)'
	@echo '  SPEED=0                  make check/grade: the tests only, no speed cells'
	@echo '  TIMELINE=0               make check: no timelines (who ran on which core when)'
	@echo '  PARALLEL=N               make grade: N submissions build and test at once (default: the cores)'
	@echo '  labs/labN-*/predictions.txt   your predictions: make check shows them beside the cells'
	@test -z '$(HAS_TESTS)' || echo '  TEST_ARGS="--only REGEX"   make test: only the unit tests / labs matching it'
	@test -z '$(HAS_TESTS)' || echo '  MUTANTS=all               make test: every mutant (default: a sample drawn from the commit)'
	@test -z '$(HAS_TESTS)' || echo '  COVERAGE_FLOOR=85  COVERAGE_TESTS=...   make coverage: the floor, what runs'
	@echo "Labs: $(LABS)"

deps:
	@harness/deps.sh criterion gcovr bwrap

tools: $(TOOLS) $(FLAGS_FILES)

# The tools on every core before a student's target needs them: a first `make check` builds
# some 80 files (32 s on one core, 20 on two). Under an outer -j (CI's test-build) make
# builds them itself: two makes must not write the same objects.
NPROC := $(shell nproc 2>/dev/null || echo 1)
tools-fast:
	@$(if $(filter -j%,$(MAKEFLAGS)),:,$(MAKE) --no-print-directory -j$(NPROC) $(TOOLS) $(FLAGS_FILES))

# For editors (clangd): the kit's flags and every lab's header folder, from harness/cflags.
FLAGS_FILES := labs/compile_flags.txt $(wildcard solutions/compile_flags.txt)
$(FLAGS_FILES): harness/cflags $(wildcard harness/labs/*/spec)
	@{ printf '%s\n' $(KIT_CFLAGS) -I../harness/include; \
	   for d in $(sort $(wildcard harness/labs/lab*-*)); do echo "-I../$$d"; done; } > $@

$(B)/obj/%.o: harness/%.c harness/cflags
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -c $< -o $@

# The grader's reference cooking (the hash a speed cell must match, ref_cook() in the
# trials) runs whole workloads: -O2 even when instrumented, as it runs outside make test.
$(B)/obj/lib/workload.o $(B)/obj/lib/siphash.o: HFLAGS += $(if $(COVERAGE),-O2)

$(B)/libobj/%.o: harness/lib/%.c harness/cflags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 $(CR_CFLAGS) -MMD -MP -c $< -o $@

$(B)/harness/libharness.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	ar rcs $@ $^

# The static Criterion the lab test runners link (harness/criterion/build.sh), or a line
# saying why the system's libcriterion.so is linked instead.
CR_ARCHIVE = $(wildcard $(shell $(CC) -print-file-name=libcriterion.a 2>/dev/null))
$(B)/harness/criterion-kit.txt: harness/criterion/build.sh harness/criterion/nogit.c $(CR_ARCHIVE)
	@harness/criterion/build.sh $(@D) $(CC)

$(B)/bin/grade: $(B)/obj/grader/grade.o $(HOBJ) $(B)/libobj/jobs.o $(B)/libobj/cook_rate.o
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) -o $@ $^ -lm

# The kitchen is the server and the workload's reply, nothing of the grader.
KITCHEN_OBJ := $(patsubst harness/%.c,$(B)/obj/%.o,harness/lib/workload.c harness/lib/siphash.c $(wildcard harness/lib/kitchen*.c))
$(B)/bin/kitchen: $(B)/obj/drivers/kitchen_main.o $(KITCHEN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) -o $@ $^ -lm

# cr_modules.o: Criterion's start-up walk kept to the modules with its sections (as in a
# lab's test runner, where check.o pulls it in).
$(B)/tests/test_%: tests/harness/test_%.c $(HOBJ) $(B)/libobj/jobs.o $(B)/libobj/cook_rate.o $(B)/libobj/done.o $(B)/libobj/seal_filter.o $(B)/libobj/cr_modules.o $(CR_KIT_TXT)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -o $@ $< $(HOBJ) $(B)/libobj/jobs.o $(B)/libobj/cook_rate.o $(B)/libobj/done.o $(B)/libobj/seal_filter.o $(B)/libobj/cr_modules.o \
	    $(CR_UNIT_LIBS) -lm

# The test library's readings (check.c), linked as a lab's test runner links it: with --wrap.
$(B)/tests/test_check: tests/harness/test_check.c $(B)/harness/libharness.a $(CR_KIT_TXT)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -o $@ $< $(B)/harness/libharness.a $(CR_UNIT_LIBS) -lm \
	    $(shell sed -n 's/^#define FAULT_WRAP "\(.*\)"$$/\1/p' harness/include/fault.h)

# The fault wrappers are linked as build_cc.c links a lab's test runner: with --wrap.
FAULT_OBJ := $(patsubst harness/lib/%.c,$(B)/libobj/%.o,$(wildcard harness/lib/fault*.c))
$(B)/tests/test_fault: tests/harness/test_fault.c $(FAULT_OBJ) $(B)/libobj/cr_modules.o $(CR_KIT_TXT)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -o $@ $< $(FAULT_OBJ) $(B)/libobj/cr_modules.o $(CR_UNIT_LIBS) -lm \
	    $(shell sed -n 's/^#define FAULT_WRAP "\(.*\)"$$/\1/p' harness/include/fault.h)

$(B)/tests/jail_progs/%: tests/harness/jail_progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 -o $@ $<

check: deps-criterion tools-fast $(TOOLS) $(FLAGS_FILES)
	@test -n "$(CHECKED)" || { echo "no lab matches LAB=$(LAB) (labs: $(LABS))"; exit 2; }
	@rc=0; for lab in $(CHECKED); do \
	    n=$${lab%%-*}; \
	    $(GRADE) --lab $$lab --src $(TREE)/$$lab --build $(B)/check/$(TREE)/$$lab $(if $(ONLY),--only $(ONLY)) $(if $(filter 0,$(SPEED)),--no-speed) \
	        --out $(B)/results/$$n.json --junit $(B)/results/$$n.xml \
	        --svg $(B)/results/$$n.svg --html $(B)/results/$$n.html $(if $(filter 0,$(TIMELINE)),,--timelines $(B)/results/$$n-timelines) \
	        || { r=$$?; [ $$r -gt $$rc ] && rc=$$r; }; \
	    echo "results: $(B)/results/$$n.json, .xml (JUnit)$$(test -f $(B)/results/$$n.svg && echo ', .svg (speed chart)')$(if $(filter 0,$(TIMELINE)),,$$(test -d $(B)/results/$$n-timelines && echo ", $$n-timelines/ (who ran on which core when)")), $(B)/results/index.html (the report)"; \
	done; \
	case " $(CHECKED) " in *" lab6-choosing "*) test -n "$(ONLY)" -o "$(SPEED)" = 0 || \
	    { $(GRADE) --matrix --src $(TREE) --results $(B)/results; \
	      $(B)/bin/grade --html-index $(B)/results >/dev/null; } || true;; esac; exit $$rc

# The note's table from each lab's build/results/labN.json, with CPython's column measured
# now; exit 1 (said, not a make error) when some cell is missing or stale.
matrix: deps-criterion tools-fast $(TOOLS)
	@$(GRADE) --matrix --src $(TREE) --results $(B)/results $(if $(MEASURE),--measure) || [ $$? -eq 1 ]
	@$(B)/bin/grade --html-index $(B)/results >/dev/null 2>&1 || true

# One experiment on the spot (harness/grader/run.c): the bench driver the grader builds
# from your files, its kitchen started on a free port and stopped after.
RUN_ARGS = $(if $(WORKLOAD),--workload $(WORKLOAD)) $(if $(JOBS),--jobs $(JOBS)) \
           $(if $(WORKERS),--workers $(WORKERS)) $(if $(BASELINE),--baseline $(BASELINE)) \
           $(if $(RUNS),--runs $(RUNS)) $(if $(SKEW),--skew $(SKEW))
run: deps-criterion tools-fast $(TOOLS)
	@test -n "$(LAB)" -a "$(words $(CHECKED))" = 1 || { echo 'usage: make run LAB=N VERSION=v [WORKLOAD=cpu|io|mixed] [JOBS=n] [WORKERS=n] [BASELINE=ref] [RUNS=3] [SKEW=skewed]'; exit 2; }
	@$(GRADE) --lab $(CHECKED) --src $(TREE)/$(CHECKED) --build $(B)/run/$(TREE)/$(CHECKED) \
	    --run '$(or $(VERSION),list)' $(RUN_ARGS)

# The tests again (SPEED=0) whenever a file of the lab's folder is saved: inotifywait when
# it is here (inotify-tools), else a poll of the files' times every second.
WATCHED = $(TREE)/$(CHECKED)
watch: deps-criterion tools-fast $(TOOLS)
	@test -n "$(LAB)" -a "$(words $(CHECKED))" = 1 || { echo 'usage: make watch LAB=N [ONLY=...]'; exit 2; }
	@harness/deps.sh inotify || true
	@command -v inotifywait >/dev/null || echo "watch: no inotifywait (apt-get install inotify-tools): polling $(WATCHED) every second"
	@while :; do \
	    $(MAKE) --no-print-directory check LAB=$(LAB) SPEED=0 $(if $(SOLUTION),SOLUTION=1) $(if $(ONLY),ONLY=$(ONLY)) $(if $(SEED),SEED=$(SEED)); \
	    echo "watch: waiting for a save in $(WATCHED)/ (Ctrl-C ends)"; \
	    if command -v inotifywait >/dev/null; then \
	        inotifywait -qq -e close_write,moved_to,create --include '\.[ch]$$' $(WATCHED)/ || exit 1; \
	    else \
	        was=$$(stat -c '%n %Y' $(WATCHED)/*.[ch]); \
	        while [ "$$(stat -c '%n %Y' $(WATCHED)/*.[ch])" = "$$was" ]; do sleep 1; done; \
	    fi; \
	    sleep 0.2; \
	done

# One test under gdb, set up as make check runs it (its kitchen, seed, filter).
debug: deps-criterion tools-fast $(TOOLS)
	@harness/deps.sh gdb
	@test -n "$(LAB)" -a "$(words $(CHECKED))" = 1 -a -n "$(TEST)" || { echo 'usage: make debug LAB=N TEST=suite::name [SEED=n]'; exit 2; }
	@$(GRADE) --lab $(CHECKED) --src $(TREE)/$(CHECKED) --build $(B)/debug/$(TREE)/$(CHECKED) \
	    --debug '$(TEST)'

grade regrade: deps-criterion tools-fast $(TOOLS)
	@test -n "$(DIR)" -a -n "$(LAB)" || { echo 'usage: make $@ LAB=N DIR=submissions/ [PARALLEL=N]'; exit 2; }
	$(GRADE) --lab $(CHECKED) --batch $(DIR) $(if $(PARALLEL),--parallel $(PARALLEL)) \
	    $(if $(filter 0,$(SPEED)),--no-speed) $(if $(filter regrade,$@),--regrade,$(if $(ONLY),--only $(ONLY)))

# With COVERAGE=1 (.ci/run): the same tests, the grader instrumented in build/cov, then
# the harness's line coverage (HTML/JSON/XML in build/coverage/), failing below its floor.
# make -j2 test-build: all that make test needs, built in parallel first (.ci/run).
TEST_DEPS := deps-criterion $(if $(COVERAGE),deps-gcovr) $(TOOLS) $(FLAGS_FILES) $(UNIT_BIN) $(PROG_BIN)
test-build: $(TEST_DEPS)
test: $(TEST_DEPS)
	@$(if $(COVERAGE),find $(B) -name '*.gcda' -delete)
	@python3 tests/run.py --build $(B) $(if $(MUTANTS),--mutants $(MUTANTS)) $(TEST_ARGS)
ifneq ($(COVERAGE),)
	@rm -rf $(COVERAGE_OUT) && mkdir -p $(COVERAGE_OUT)
	gcovr -j $(shell nproc) --root . --filter 'harness/' --object-directory $(B) \
	    --html-details $(COVERAGE_OUT)/index.html --json-summary $(COVERAGE_OUT)/summary.json \
	    --xml $(COVERAGE_OUT)/coverage.xml --print-summary --fail-under-line $(COVERAGE_FLOOR)
endif

# With LAB=: your own coverage (harness/grader/coverage.c): which lines and branches of your
# files the lab's tests ran, built with gcov apart from grading; never graded.
coverage: deps-criterion deps-gcovr $(if $(LAB),$(TOOLS))
ifneq ($(LAB),)
	@test "$(words $(CHECKED))" = 1 || { echo 'usage: make coverage LAB=N [ONLY=suite,suite::test]'; exit 2; }
	@$(GRADE) --lab $(CHECKED) --src $(TREE)/$(CHECKED) --build $(B)/coverage/lab$(LAB) \
	    --coverage $(if $(ONLY),--only $(ONLY))
else
	@$(MAKE) --no-print-directory B=$(B)/cov COVERAGE=1 COVERAGE_OUT=$(B)/coverage \
	    TEST_ARGS="$(COVERAGE_TESTS)" test
endif

COVERAGE_FLOOR ?= 85
COVERAGE_OUT   ?= build/coverage
# make coverage: every test (as .ci/run's make test COVERAGE=1); a part, e.g.
# COVERAGE_TESTS="--only 'test_|lab1-'", for a quicker look (below the floor, surely).
COVERAGE_TESTS ?=


release:
	@rm -rf $(B)/release && mkdir -p $(B)/release
	git archive --format=tar --prefix=restaurant-lab/ HEAD \
	    ':!solutions' ':!tests' ':!.ci' | gzip > $(B)/release/restaurant-lab-student.tar.gz
	@echo "student release: $(B)/release/restaurant-lab-student.tar.gz (no solutions/, no tests/; .github/ and harness/engines/ for GitHub Classroom)"

# A Gradescope autograder for one lab: setup.sh, run_autograder, the kit without solutions/.
autograder:
	@test -n "$(LAB)" -a -n "$(CHECKED)" || { echo 'usage: make autograder LAB=N [VISIBILITY=speed=after_due_date]'; exit 2; }
	@harness/engines/make_autograder.sh . $(CHECKED) $(B)/autograder/lab$(LAB)-autograder.zip "$(VISIBILITY)"

deps-criterion:
	@harness/deps.sh criterion bwrap

deps-gcovr:
	@harness/deps.sh gcovr

# The house style (.clang-format) over every C file of ours. Mutants and hostile files
# are patches of the solutions, whatever their own lines look like.
C_FILES := $(sort $(shell find harness tests/harness labs solutions -name '*.[ch]' 2>/dev/null))
format:
	clang-format -i $(C_FILES)

format-check:
	@command -v clang-format >/dev/null || { echo 'clang-format is missing: apt-get install clang-format'; exit 2; }
	@clang-format --dry-run -Werror $(C_FILES)
	@echo "format: $(words $(C_FILES)) C files as .clang-format says"

clean:
	rm -rf $(B)

-include $(wildcard $(B)/obj/*/*.d $(B)/libobj/*.d $(B)/tests/*.d)

# The restaurant lab: concurrency vs parallelism in C. `make help` lists the targets.

B       ?= build
CC      ?= cc
LAB     ?=
SOLUTION ?=
SEED    ?=
ONLY    ?=
SPEED   ?=
DIR     ?=
MEASURE ?=

# One list of compile flags for everything (harness/cflags); the grader reads it too.
KIT_CFLAGS  := $(shell grep -v '^\#' harness/cflags)
CFLAGS_BASE := $(KIT_CFLAGS) -Iharness/include -Iharness/grader
HFLAGS      := $(CFLAGS_BASE) $(if $(COVERAGE),-O0 --coverage -DCOVERAGE,-O2)
# Lazy (=): read when a recipe runs, after deps-criterion may have installed Criterion.
CR_CFLAGS    = $(shell pkg-config --cflags criterion 2>/dev/null)
CR_LIBS      = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# harness/grader: the grade program's modules (grade.c holds its main).
# harness/lib: what lab code links with (libharness.a). The grader also uses the
# workload and the kitchen from it, instrumented like its own modules.
# harness/drivers: programs built from lab code at grading time (bench.c), the kitchen's main.
HSRC      := $(filter-out harness/grader/grade.c,$(wildcard harness/grader/*.c)) \
             harness/lib/workload.c $(wildcard harness/lib/kitchen*.c)
HOBJ      := $(patsubst harness/%.c,$(B)/obj/%.o,$(HSRC))
# What student code links with: reference answers, test helpers. Never instrumented,
# since it runs as an unprivileged user who cannot write coverage files.
LIB_SRC   := $(wildcard harness/lib/*.c)
LIB_OBJ   := $(LIB_SRC:harness/lib/%.c=$(B)/libobj/%.o)
UNIT_SRC  := $(wildcard tests/harness/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/harness/%.c=$(B)/tests/%)
PROG_SRC  := $(wildcard tests/harness/jail_progs/*.c)
PROG_BIN  := $(PROG_SRC:tests/harness/jail_progs/%.c=$(B)/tests/jail_progs/%)
TOOLS     := $(B)/bin/grade $(B)/bin/kitchen $(B)/harness/libharness.a

LABS      := $(sort $(notdir $(wildcard labs/lab*-*)))
TREE      := $(if $(SOLUTION),solutions,labs)
CHECKED   := $(if $(LAB),$(notdir $(wildcard labs/lab$(LAB)-*)),$(LABS))
GRADE     = CRITERION_LIBS="$(CR_LIBS)" $(B)/bin/grade --root $(CURDIR) $(if $(SEED),--seed $(SEED))

.PHONY: help check matrix test unit meta coverage grade release clean deps tools format format-check
.DEFAULT_GOAL := help

help:
	@echo 'Targets:'
	@echo '  make check LAB=N         grade your copy in labs/labN-*: tests, then speed'
	@echo '  make check LAB=N SOLUTION=1   grade the reference solution instead'
	@echo '  make check               grade every lab'
	@echo '  make matrix              the note'"'"'s table from your labs 1-6 results (+ CPython'"'"'s); MEASURE=1 first grades missing, stale, inconclusive cells'
	@echo '  make test                the kit'"'"'s own tests (harness units, solutions, mutants)'
	@echo '  make coverage            make test with coverage; HTML/JSON/XML in build/coverage/'
	@echo '  make grade LAB=N DIR=D   batch-grade each submission folder in D (+ CSV gradebook)'
	@echo '  make release             a student copy without solutions/ and tests/'
	@echo '  make deps                install Criterion, gcovr and bubblewrap (as root) or say how'
	@echo '  make tools               only build build/bin/grade (see its --help) and the kitchen'
	@echo '  make format-check        the C files against .clang-format (CI runs it); make format fixes'
	@echo '  make clean               remove build/'
	@echo 'Variables:'
	@echo '  LAB=N  SOLUTION=1  SEED=n (replay a run'"'"'s inputs)  DIR=submissions/  B=build'
	@echo '  ONLY=serve,cook.seq      make check: only these tests, suites or cells (a quick loop)'
	@echo '  SPEED=0                  make check: the tests only, no speed cells'
	@echo '  TEST_ARGS="--only REGEX"   make test: only the unit tests / labs matching it'
	@echo '  COVERAGE_FLOOR=85  COVERAGE_TESTS=...   make coverage: the floor, what runs'
	@echo "Labs: $(LABS)"

deps:
	@harness/deps.sh criterion gcovr bwrap

tools: $(TOOLS) $(FLAGS_FILES)

# For editors (clangd): the kit's flags and every lab's header folder, from harness/cflags.
FLAGS_FILES := labs/compile_flags.txt $(wildcard solutions/compile_flags.txt)
$(FLAGS_FILES): harness/cflags $(wildcard harness/labs/*/spec)
	@{ printf '%s\n' $(KIT_CFLAGS) -I../harness/include; \
	   for d in $(sort $(wildcard harness/labs/lab*-*)); do echo "-I../$$d"; done; } > $@

$(B)/obj/%.o: harness/%.c harness/cflags
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libobj/%.o: harness/lib/%.c harness/cflags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 $(CR_CFLAGS) -MMD -MP -c $< -o $@

$(B)/harness/libharness.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(B)/bin/grade: $(B)/obj/grader/grade.o $(HOBJ) $(B)/libobj/jobs.o
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) -o $@ $^ -lm

# The kitchen is the server and the workload's reply, nothing of the grader.
KITCHEN_OBJ := $(patsubst harness/%.c,$(B)/obj/%.o,harness/lib/workload.c $(wildcard harness/lib/kitchen*.c))
$(B)/bin/kitchen: $(B)/obj/drivers/kitchen_main.o $(KITCHEN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) -o $@ $^ -lm

$(B)/tests/test_%: tests/harness/test_%.c $(HOBJ) $(B)/libobj/jobs.o $(B)/libobj/done.o
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -o $@ $< $(HOBJ) $(B)/libobj/jobs.o $(B)/libobj/done.o \
	    $(CR_LIBS) -lm

# The fault wrappers are linked as build_cc.c links a lab's test runner: with --wrap.
FAULT_OBJ := $(patsubst harness/lib/%.c,$(B)/libobj/%.o,$(wildcard harness/lib/fault*.c))
$(B)/tests/test_fault: tests/harness/test_fault.c $(FAULT_OBJ)
	@mkdir -p $(@D)
	$(CC) $(HFLAGS) $(CR_CFLAGS) -MMD -MP -o $@ $< $(FAULT_OBJ) $(CR_LIBS) -lm \
	    $(shell sed -n 's/^#define FAULT_WRAP "\(.*\)"$$/\1/p' harness/include/fault.h)

$(B)/tests/jail_progs/%: tests/harness/jail_progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -O2 -o $@ $<

check: deps-criterion $(TOOLS) $(FLAGS_FILES)
	@test -n "$(CHECKED)" || { echo "no lab matches LAB=$(LAB) (labs: $(LABS))"; exit 2; }
	@rc=0; for lab in $(CHECKED); do \
	    n=$${lab%%-*}; \
	    $(GRADE) --lab $$lab --src $(TREE)/$$lab --build $(B)/check/$(TREE)/$$lab $(if $(ONLY),--only $(ONLY)) $(if $(filter 0,$(SPEED)),--no-speed) \
	        --out $(B)/results/$$n.json --junit $(B)/results/$$n.xml \
	        --svg $(B)/results/$$n.svg || { r=$$?; [ $$r -gt $$rc ] && rc=$$r; }; \
	    echo "results: $(B)/results/$$n.json, .xml (JUnit)$$(test -f $(B)/results/$$n.svg && echo ', .svg (speed chart)')"; \
	done; \
	case " $(CHECKED) " in *" lab6-choosing "*) test -n "$(ONLY)" -o "$(SPEED)" = 0 || \
	    $(GRADE) --matrix --src $(TREE) --results $(B)/results || true;; esac; exit $$rc

# The note's table from each lab's build/results/labN.json, with CPython's column measured
# now; exit 1 (said, not a make error) when some cell is missing or stale.
matrix: deps-criterion $(TOOLS)
	@$(GRADE) --matrix --src $(TREE) --results $(B)/results $(if $(MEASURE),--measure) || [ $$? -eq 1 ]

grade: deps-criterion $(TOOLS)
	@test -n "$(DIR)" -a -n "$(LAB)" || { echo 'usage: make grade LAB=N DIR=submissions/'; exit 2; }
	$(GRADE) --lab $(CHECKED) --batch $(DIR)

test: deps-criterion $(TOOLS) $(FLAGS_FILES) $(UNIT_BIN) $(PROG_BIN)
	@python3 tests/run.py --build $(B) $(TEST_ARGS)

coverage: deps-criterion deps-gcovr
	@rm -rf $(B)/cov $(B)/coverage
	@$(MAKE) --no-print-directory B=$(B)/cov COVERAGE=1 TEST_ARGS="$(COVERAGE_TESTS)" test
	@mkdir -p $(B)/coverage
	gcovr --root . --filter 'harness/' --object-directory $(B)/cov \
	    --html-details $(B)/coverage/index.html --json-summary $(B)/coverage/summary.json \
	    --xml $(B)/coverage/coverage.xml --print-summary --fail-under-line $(COVERAGE_FLOOR)

COVERAGE_FLOOR ?= 85
# Coverage reruns the unit tests and the meta-tests of labs 1 and 2 instrumented: they
# reach every harness path (builds, tests, races, speed, batch); all labs would double CI.
# The hostile corpus is left out: make test runs it once.
COVERAGE_TESTS ?= --only 'test_|lab1-|lab2-' --no-hostile


release:
	@rm -rf $(B)/release && mkdir -p $(B)/release
	git archive --format=tar --prefix=restaurant-lab/ HEAD \
	    ':!solutions' ':!tests' ':!.ci' | gzip > $(B)/release/restaurant-lab-student.tar.gz
	@echo "student release: $(B)/release/restaurant-lab-student.tar.gz (no solutions/, no tests/)"

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

/* grade.c: the grade program: grade one lab folder, or a folder of submissions. */
#include <stdio.h>

#include "batch.h"
#include "coverage.h"
#include "debug.h"
#include "grading.h"
#include "html.h"
#include "kitchen.h"
#include "netns.h"
#include "matrix.h"
#include "options.h"
#include "run.h"

int main(int argc, char **argv)
{
    struct opts o;
    int rc = opts_parse(argc, argv, &o);

    if (rc != OPTS_GRADE)
        return rc == OPTS_HELP ? 0 : 2;
    if (o.html_index) /* the newest page embedded */
        return html_index_main(o.html_index);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (o.matrix)
        return matrix_run(&o);
    grading_catch_interrupts();
    if (o.batch) /* each submission gets a network of its own (batch.c) */
        return batch_grade(&o);
    /* Before the kitchen or any run starts: they all live in it. */
    netns_private(NULL, 0);
    if (o.coverage)
        return coverage_run(&o);
    if (o.run_version || o.debug_test)
        return o.debug_test ? debug_test(&o) : run_experiment(&o);
    return grading_run(&o);
}

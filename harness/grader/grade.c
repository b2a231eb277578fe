/* grade.c: the grade program: grade one lab folder, or a folder of submissions. */
#include <stdio.h>

#include "batch.h"
#include "grading.h"
#include "kitchen.h"
#include "matrix.h"
#include "options.h"

int main(int argc, char **argv)
{
    struct opts o;
    int rc = opts_parse(argc, argv, &o);

    if (rc != OPTS_GRADE)
        return rc == OPTS_HELP ? 0 : 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (o.matrix)
        return matrix_run(&o);
    grading_catch_interrupts();
    if (kitchen_new_key() < 0) {
        perror("grade: a kitchen key");
        return 2;
    }
    return o.batch ? batch_grade(&o) : grading_run(&o);
}

/* batch.c: grade every submission folder of a folder, one after another; a gradebook. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "gradebook.h"
#include "grading.h"

void batch_src(const char *dir, const char *lab, char *src, size_t len)
{
    struct stat st, labs;
    char parent[1200];

    snprintf(parent, sizeof(parent), "%s/labs", dir);
    snprintf(src, len, "%s/labs/%s", dir, lab);
    if (lstat(parent, &labs) == 0 && S_ISDIR(labs.st_mode) && lstat(src, &st) == 0 &&
        S_ISDIR(st.st_mode))
        return;
    snprintf(src, len, "%s/%s", dir, lab);
    if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode))
        return;
    snprintf(src, len, "%s", dir);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int batch_list(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    *names = NULL;
    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type == DT_REG)
            continue;
        *names = realloc(*names, (n + 1) * sizeof(**names));
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof(**names), cmp_str);
    return n;
}

/* Grade one submission, `name`, the i-th of n; its results.json path into out. */
static int grade_submission(const struct opts *o, struct gradebook *book, const char *name, int i,
                            int n)
{
    char dir[1100], src[1200], out[1200], build[1200], junit[1200];
    struct opts one = *o;

    snprintf(dir, sizeof(dir), "%s/%s", o->batch, name);
    batch_src(dir, o->lab, src, sizeof(src));
    snprintf(out, sizeof(out), "%s/build/batch/%s/%s.json", o->root, name, o->lab);
    snprintf(junit, sizeof(junit), "%s/build/batch/%s/%s.xml", o->root, name, o->lab);
    snprintf(build, sizeof(build), "%s/build/batch/%s/%s", o->root, name, o->lab);
    one.src = src, one.out = out, one.junit = junit, one.build = build, one.batch = NULL;
    one.svg = NULL, one.book = book, one.name = name;
    printf("\n=== %s (%d of %d)\n", name, i + 1, n);
    return grading_run(&one);
}

static void write_gradebook(const struct opts *o, const struct gradebook *book, int n)
{
    char csv[1100];
    FILE *f;

    snprintf(csv, sizeof(csv), "%s/build/batch/%s.csv", o->root, o->lab);
    if (!(f = fopen(csv, "w")))
        return;
    gradebook_write(book, f);
    fclose(f);
    printf("\ngradebook: %s (%d submissions)\n", csv, n);
}

int batch_grade(const struct opts *o)
{
    char **names, regrade[4096] = "";
    struct gradebook book = {0};
    int n = batch_list(o->batch, &names);

    if (n < 0) {
        fprintf(stderr, "grade: %s: %s\n", o->batch, strerror(-n));
        return 2;
    }
    for (int i = 0; i < n; i++) {
        int rc = grade_submission(o, &book, names[i], i, n);
        if (rc == 3 || rc == 2) {
            size_t used = strlen(regrade);
            snprintf(regrade + used, sizeof(regrade) - used, "%s%s", used ? " " : "", names[i]);
        }
        if (rc == 2)
            gradebook_add_error(&book, names[i], o->lab, "not graded (see the log)");
    }
    write_gradebook(o, &book, n);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    gradebook_free(&book);
    if (regrade[0]) {
        printf("harness errors (the grader's fault, not the students'): regrade %s\n", regrade);
        return 3;
    }
    return 0;
}

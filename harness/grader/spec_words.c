/* spec_words.c: the closed sets of words a spec's settings take (workload=cpu, skew=, a
 * check's metric, ...), each with the enum value it stands for, and their names back. */
#include <stdio.h>
#include <string.h>

#include "spec_line.h"

const struct word words_workload[] = {
    {"cpu", WORKLOAD_CPU}, {"io", WORKLOAD_IO}, {"mixed", WORKLOAD_MIXED}, {0}};
const struct word words_skew[] = {{"even", SKEW_EVEN}, {"skewed", SKEW_SKEWED}, {0}};
const struct word words_metric[] = {
    {"speedup", M_SPEEDUP}, {"eff", M_EFF}, {"cpuwall", M_CPUWALL}, {"x", M_X}, {0}};
const struct word words_cores[] = {{"all", 1}, {0}};        /* cores=all */
const struct word words_x[] = {{"threads", 1}, {0}};        /* x=threads */
const struct word words_timing[] = {{"sensitive", 1}, {0}}; /* timing=sensitive */
const struct word words_values[] = {{"reference", 1}, {0}}; /* values=reference */
const struct word words_sanitizer[] = {{"thread", SAN_THREAD},
                                       {"address", SAN_ADDRESS},
                                       {"undefined", SAN_UNDEFINED},
                                       {0}};         /* race sanitizer= */
const struct word words_workers[] = {{"P", 0}, {0}}; /* workers=P */

/* set_int writes an enum field as an int: fine while the enum is int-sized, as signed
 * and unsigned int may alias each other (C11 6.5p7). */
_Static_assert(sizeof(enum workload) == sizeof(int), "enum workload is not int-sized");
_Static_assert(sizeof(enum skew) == sizeof(int), "enum skew is not int-sized");
_Static_assert(sizeof(enum sanitizer) == sizeof(int), "enum sanitizer is not int-sized");

const struct word *word_find(const struct word *w, const char *text)
{
    for (; w->text; w++)
        if (!strcmp(w->text, text))
            return w;
    return NULL;
}

const char *word_name(const struct word *w, int value)
{
    for (; w->text; w++)
        if (w->value == value)
            return w->text;
    return "?";
}

/* "cpu or io", "speedup, eff, cpuwall or x": the words, for an error message. */
const char *word_list(const struct word *w, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; w[i].text && used < len; i++)
        used += snprintf(buf + used, len - used, "%s%s",
                         i == 0          ? ""
                         : w[i + 1].text ? ", "
                                         : " or ",
                         w[i].text);
    return buf;
}

const char *metric_name(enum metric m)
{
    return word_name(words_metric, m);
}

const char *spec_workload_name(enum workload w)
{
    return word_name(words_workload, w);
}

const char *spec_skew_name(enum skew k)
{
    return word_name(words_skew, k);
}

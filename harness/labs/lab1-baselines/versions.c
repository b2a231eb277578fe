/* versions.c: what lab 1's speed cells time: your sequential waiter and ours. */
#include "bench.h"
#include "lab1.h"

struct bench_version bench_versions[] = {
    {"seq", seq_map, "seq_map()"},
    {"ref", ref_seq_map, NULL},
    {NULL, NULL, NULL},
};

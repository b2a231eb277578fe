/* kitchen_main.c: the kitchen server binary; prints "port N" on stdout, serves until SIGTERM. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "kitchen.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kitchen [--latency MS] [--split] [--close-early] [--cut] [--trail] [--garble]\n"
            "               [--hold MS]\n"
            "  Serve orders on 127.0.0.1 (an ephemeral port, printed as \"port N\" on stdout):\n"
            "  read a decimal item and '\\n', answer its reply and '\\n' after MS milliseconds\n"
            "  (default 50), then close. The reply mixes the item with a key this kitchen draws\n"
            "  when it starts and keeps to itself (it is not dumpable). A connection whose\n"
            "  lines are \"? ITEM REPLY\" asks instead: each is answered at once, \"1\" when\n"
            "  REPLY is this kitchen's reply to ITEM, else \"0\". Stops on SIGTERM or SIGINT.\n"
            "  --split        send each reply one byte at a time, about 1 ms apart\n"
            "  --close-early  close each connection after the latency without replying\n"
            "  --cut          send each reply without its newline, then close\n"
            "  --trail        send a second line after each reply (not one number line)\n"
            "  --garble       a '-', ' ' or '+' before each reply's number (not a number line)\n"
            "  --hold MS      keep each connection open MS ms after its reply, then close\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"latency", required_argument, NULL, 'l'},
        {"split", no_argument, NULL, 's'},
        {"close-early", no_argument, NULL, 'c'},
        {"cut", no_argument, NULL, 'x'},
        {"hold", required_argument, NULL, 'o'},
        {"trail", no_argument, NULL, 't'},
        {"garble", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct kitchen_conf c = {.latency_ms = 50};
    char *end;
    int o;

    while ((o = getopt_long(argc, argv, "l:schxo:tg", opts, NULL)) != -1) {
        switch (o) {
        case 'l':
            c.latency_ms = (int)strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || c.latency_ms < 0 || c.latency_ms > 3600000) {
                fprintf(stderr, "kitchen: bad --latency '%s' (0 to 3600000 ms)\n", optarg);
                return 2;
            }
            break;
        case 's':
            c.split = 1;
            break;
        case 'c':
            c.close_early = 1;
            break;
        case 'x':
            c.cut = 1;
            break;
        case 't':
            c.trail = 1;
            break;
        case 'g':
            c.garble = 1;
            break;
        case 'o':
            c.hold_ms = (int)strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || c.hold_ms < 0 || c.hold_ms > 60000) {
                fprintf(stderr, "kitchen: bad --hold '%s' (0 to 60000 ms)\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    return kitchen_serve(&c, 1);
}

/* sleeper.c: sleeps argv[1] seconds (default 100), for the jail's wall limit. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    sleep(argc > 1 ? (unsigned)atoi(argv[1]) : 100);
    return 0;
}

/* crash.c: writes through a null pointer, for the jail's signal report. */
int main(void)
{
    *(volatile int *)0 = 1;
    return 0;
}

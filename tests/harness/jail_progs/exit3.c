/* exit3.c: exits with status 3, for the jail's exit code report. */
int main(void)
{
    return 3;
}

/* loop.c: spins forever, for the jail's wall and CPU limits. */
int main(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

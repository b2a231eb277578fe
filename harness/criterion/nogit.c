/* nogit.c: libgit2's three names that libcriterion (2.4.1) calls, for the kit's static
 * Criterion (build.sh). Criterion calls git_libgit2_init() and git_libgit2_shutdown() at
 * start and end, and git_diff_buffers() only to print a diff under a failed eq() of its
 * newer assertions (criterion/new/assert.h), which no test of the kit uses; when the diff
 * fails, Criterion prints the assertion without it. Linking libgit2 itself would load some
 * 17 libraries (OpenSSL, Kerberos, ssh...) in every test runner and every test's worker:
 * about 25 ms of CPU each test run, more than most tests take. */
#include <stddef.h>

int git_libgit2_init(void);
int git_libgit2_shutdown(void);
int git_diff_buffers(const void *old_buf, size_t old_len, const char *old_path, const void *new_buf,
                     size_t new_len, const char *new_path, const void *options, void *file_cb,
                     void *binary_cb, void *hunk_cb, void *line_cb, void *payload);

int git_libgit2_init(void)
{
    return 1; /* initialised once */
}

int git_libgit2_shutdown(void)
{
    return 0; /* no initialisation left */
}

int git_diff_buffers(const void *old_buf, size_t old_len, const char *old_path, const void *new_buf,
                     size_t new_len, const char *new_path, const void *options, void *file_cb,
                     void *binary_cb, void *hunk_cb, void *line_cb, void *payload)
{
    (void)old_buf, (void)old_len, (void)old_path, (void)new_buf, (void)new_len;
    (void)new_path, (void)options, (void)file_cb, (void)binary_cb, (void)hunk_cb;
    (void)line_cb, (void)payload;
    return -1; /* no diff: Criterion shows the assertion without one */
}

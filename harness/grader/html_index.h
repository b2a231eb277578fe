/* html_index.h: index.html, every lab page beside it with its score, the current one embedded. */
#ifndef HTML_INDEX_H
#define HTML_INDEX_H

/* index.html in dir, written atomically: a link and the score of every lab page there
 * (read from its <meta>s), the course's matrix (matrix.svg, matrix.md) when present, and
 * the page named `current` (a file name in dir; NULL: the newest lab page) embedded.
 * 0 or -errno. */
int html_write_index(const char *dir, const char *current);

/* grade --html-index DIR: DIR/index.html with the newest page embedded; the exit code
 * (0, or 2 with the reason on stderr). */
int html_index_main(const char *dir);

#endif

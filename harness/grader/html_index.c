/* html_index.c: index.html, every lab page beside it with its score, the current one embedded. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "html.h"
#include "html_int.h"
#include "report_file.h"
#include "sys.h"

#define HTML_HEAD_CAP  4096        /* bytes of a page the index reads for its <meta>s */
#define HTML_PAGE_CAP  (32u << 20) /* bytes of the page the index embeds */
#define HTML_MAX_PAGES 64

static struct {
    const char *dir, *current;
} page; /* what emit_index needs beyond the report; the grader has one thread */

/* A lab page found beside the index: its file, lab, score and state (from its <meta>s). */
struct page_meta {
    char file[NAME_MAX + 1];
    char lab[64], score[64], state[64];
    struct timespec mtime;
};

/* The content of <meta name="NAME" content="..."> in head, if it holds only letters,
 * digits and " ./_-" (what html.c writes there): anything else is not ours. */
static bool meta(const char *head, const char *name, char *buf, size_t size)
{
    char key[96];
    const char *p, *q;

    snprintf(key, sizeof(key), "<meta name=\"%s\" content=\"", name);
    if (!(p = strstr(head, key)))
        return false;
    p += strlen(key);
    if (!(q = strchr(p, '"')) || (size_t)(q - p) >= size)
        return false;
    for (const char *c = p; c < q; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./_-", *c))
            return false;
    snprintf(buf, size, "%.*s", (int)(q - p), p);
    return true;
}

static int html_only(const struct dirent *d)
{
    size_t len = strlen(d->d_name);
    return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".html") &&
           strcmp(d->d_name, "index.html");
}

/* The lab pages in dir, in version order (lab2 before lab10); how many. */
static int find_pages(const char *dir, struct page_meta *pages, int max)
{
    struct dirent **names;
    char path[PATH_MAX];
    struct stat st;
    int n = scandir(dir, &names, html_only, versionsort), found = 0;

    for (int i = 0; i < n; i++) {
        struct page_meta *p = &pages[found];
        char *text = NULL;

        if (found < max &&
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path))
            text = sys_slurp(path, HTML_HEAD_CAP, NULL);
        if (text && meta(text, "restaurant-lab", p->lab, sizeof(p->lab)) &&
            meta(text, "restaurant-score", p->score, sizeof(p->score)) && !stat(path, &st)) {
            if (!meta(text, "restaurant-state", p->state, sizeof(p->state)))
                p->state[0] = '\0';
            snprintf(p->file, sizeof(p->file), "%s", names[i]->d_name);
            p->mtime = st.st_mtim;
            found++;
        }
        free(text);
        free(names[i]);
    }
    if (n > 0)
        free(names);
    return found;
}

static bool newer(struct timespec a, struct timespec b)
{
    return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

/* The current page's report, copied as it is: its student text is already escaped, so
 * the markers cannot occur inside it. */
static void put_embedded(FILE *f, const char *dir, const char *file)
{
    char path[PATH_MAX];
    char *text, *b, *e;

    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return;
    text = sys_slurp(path, HTML_PAGE_CAP, NULL);
    if (text && (b = strstr(text, BEGIN)) && (e = strstr(b, END))) {
        fputs("<hr>\n", f);
        fwrite(b + strlen(BEGIN), 1, (size_t)(e - b) - strlen(BEGIN), f);
    }
    free(text);
}

static void put_matrix(FILE *f, const char *dir)
{
    bool svg = html_is_file(dir, "matrix.svg"), md = html_is_file(dir, "matrix.md");

    if (!svg && !md)
        return;
    fputs("<section class=\"matrix\"><h2>The course's matrix</h2>\n", f);
    if (svg)
        html_put_figure(f, "matrix.svg", "every lab's versions, measured on this machine");
    if (md)
        fputs("<p><a href=\"matrix.md\">matrix.md</a> (the same, as a Markdown table)</p>\n", f);
    fputs("</section>\n", f);
}

static int emit_index(const struct report *unused, FILE *f)
{
    static struct page_meta pages[HTML_MAX_PAGES];
    int n = find_pages(page.dir, pages, HTML_MAX_PAGES), cur = -1;

    (void)unused;
    for (int i = 0; i < n; i++)
        if (page.current ? !strcmp(pages[i].file, page.current)
                         : cur < 0 || newer(pages[i].mtime, pages[cur].mtime))
            cur = i;
    html_head(f, "The restaurant lab: results", NULL);
    fputs("<h1>The restaurant lab: results</h1>\n<ul class=\"labs\">\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "<li%s><a href=\"", i == cur ? " class=\"cur\"" : "");
        html_put_url(f, pages[i].file);
        fprintf(f, "\">%s</a> <span class=\"score\" data-lab=\"%s\">%s</span>%s%s</li>\n",
                pages[i].lab, pages[i].lab, pages[i].score, pages[i].state[0] ? ", " : "",
                pages[i].state);
    }
    if (!n)
        fputs("<li>no lab graded yet: make check LAB=N</li>\n", f);
    fputs("</ul>\n", f);
    put_matrix(f, page.dir);
    if (cur >= 0)
        put_embedded(f, page.dir, pages[cur].file);
    fputs("</body></html>\n", f);
    return 0;
}

int html_write_index(const char *dir, const char *current)
{
    char path[PATH_MAX];
    int rc;

    struct stat st;

    if (snprintf(path, sizeof(path), "%s/index.html", dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) /* a folder of pages, not one made up */
        return -ENOENT;
    page.dir = dir, page.current = current;
    rc = report_write_file(path, emit_index, NULL);
    page.dir = page.current = NULL;
    return rc;
}

int html_index_main(const char *dir)
{
    int rc = html_write_index(dir, NULL);

    if (rc < 0)
        fprintf(stderr, "grade: could not write %s/index.html: %s\n", dir, strerror(-rc));
    return rc < 0 ? 2 : 0;
}

/* test_html.c: the HTML report: student text escaped, balanced structure, verdicts apart,
 * figures found beside the page, and the index of the pages (read back by python). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "html.h"
#include "html_int.h"
#include "report.h"
#include "sys.h"

static const char hostile[] = "<script>alert('x')</script> & \"quoted\" \x01 ctl \xff bad";

static char dir[64];

static void fresh_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/html-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void drop_dir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void put_file(const char *rel, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert(f = fopen(path, "w"), "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *rel)
{
    char path[256];
    char *text;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    text = sys_slurp(path, 1 << 24, NULL);
    cr_assert(text, "%s was not written", path);
    return text;
}

static struct item item(const char *name, enum item_kind k, enum verdict v, double s, double m)
{
    struct item it = {.kind = k, .verdict = v, .score = s, .max_score = m};

    snprintf(it.name, sizeof(it.name), "%s", name);
    return it;
}

/* A run of every kind: a pass, a fail with hostile output, an inconclusive cell. */
static void fixture(struct report *r, const char *lab)
{
    struct item build = item("build threads.c", ITEM_BUILD, V_PASS, 0, 0);
    struct item ok = item("thread_map::results_in_order", ITEM_TEST, V_PASS, 2, 2);
    struct item bad = item("thread_tally::totals", ITEM_TEST, V_FAIL, 0, 3);
    struct item busy = item("cook.threads", ITEM_SPEED, V_INCONCLUSIVE, 0, 4);
    struct item fast = item("serve.threads", ITEM_SPEED, V_PASS, 4, 4);

    report_init(r, lab, "Threads & <friends>");
    snprintf(r->source, sizeof(r->source), "/subs/<alice>");
    snprintf(r->machine, sizeof(r->machine), "2 usable cores");
    r->seed = 424242;
    snprintf(ok.hint, sizeof(ok.hint), "PASSHINT never shown");
    snprintf(bad.hint, sizeof(bad.hint), "a lock around the total");
    snprintf(busy.expected, sizeof(busy.expected), ">= 1.50x");
    snprintf(busy.hint, sizeof(busy.hint), "cook P dishes at once");
    snprintf(fast.measured, sizeof(fast.measured), "7.90x (7.80-7.95)");
    snprintf(fast.expected, sizeof(fast.expected), ">= 6.00x");
    report_add(r, &build);
    report_add(r, &ok);
    item_printf(report_add(r, &bad), "total = %d, expected 42\n%s\n", 41, hostile);
    item_printf(report_add(r, &busy), "the probe found only 0.18 of 2 cores free\nretried once\n");
    report_add(r, &fast);
    report_note(r, "network: loopback <only>\n");
}

/* The page's elements balance (python's html.parser), void elements aside. */
static void assert_balanced(const char *rel)
{
    char cmd[512];

    snprintf(
        cmd, sizeof(cmd),
        "python3 -c 'import sys, html.parser as h\n"
        "class P(h.HTMLParser):\n"
        " stack = []\n"
        " def handle_starttag(s, t, a):\n"
        "  if t not in (\"meta\", \"br\", \"wbr\", \"img\", \"hr\", \"link\"): s.stack.append(t)\n"
        " def handle_endtag(s, t):\n"
        "  assert s.stack and s.stack.pop() == t, t\n"
        "p = P(); p.feed(open(sys.argv[1]).read()); p.close()\n"
        "assert not p.stack, p.stack' %s/%s",
        dir, rel);
    cr_assert_eq(system(cmd), 0, "%s: tags do not balance", rel);
}

Test(html, escapes_every_student_text, .timeout = 10)
{
    struct report r;
    char path[128];

    fresh_dir();
    fixture(&r, "lab2-threads");
    snprintf(path, sizeof(path), "%s/lab2.html", dir);
    cr_assert_eq(html_write_lab(&r, path), 0);
    char *page = slurp("lab2.html");
    cr_assert_null(strstr(page, "<script"), "student output reached the page raw");
    cr_assert_null(strstr(page, "<alice>"), "the source path reached the page raw");
    cr_assert_null(strstr(page, "<friends>"));
    cr_assert_null(strstr(page, "<only>"), "the run's notes reached the page raw");
    cr_assert(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                           "&quot;quoted&quot; \\x01 ctl \\xff bad"),
              "escaped output not found");
    cr_assert(strstr(page, "Threads &amp; &lt;friends&gt;"));
    assert_balanced("lab2.html");
    free(page);
    report_free(&r);
    drop_dir();
}

Test(html, every_item_with_its_verdict_points_and_hint, .timeout = 10)
{
    struct report r;
    char path[128];

    fresh_dir();
    fixture(&r, "lab2-threads");
    snprintf(path, sizeof(path), "%s/lab2.html", dir);
    cr_assert_eq(html_write_lab(&r, path), 0);
    char *page = slurp("lab2.html");
    cr_assert(strstr(page, "<meta name=\"restaurant-score\" content=\"6/13\">"));
    cr_assert(strstr(page, "<meta name=\"restaurant-state\" content=\"1 inconclusive\">"));
    cr_assert(strstr(page, "<b class=\"got\">6</b> / <span class=\"max\">13</span>"));
    cr_assert(strstr(page, "class=\"item v-fail\" data-verdict=\"fail\" data-kind=\"test\""));
    cr_assert(strstr(page, "thread_tally::<wbr>totals</span><span class=\"pts\">0 / 3</span>"));
    cr_assert(strstr(page, "hint: a lock around the total"), "a failed item's hint is shown");
    cr_assert_null(strstr(page, "PASSHINT"), "a passed item's hint is not");
    cr_assert(strstr(page, "measured <b class=\"measured\">7.90x (7.80-7.95)</b>; want "
                           "<span class=\"expected\">&gt;= 6.00x</span>"));
    cr_assert(strstr(page, "424242"), "the seed is shown");
    cr_assert(strstr(page, "<a href=\"index.html\">"), "no way to the other labs");
    for (const char *k = "<h2>Build", *order[] = {"<h2>Tests", "<h2>Speed", NULL}, **n = order; *n;
         k = *n++)
        cr_assert(strstr(page, k) && strstr(page, *n) && strstr(page, k) < strstr(page, *n),
                  "%s is not before %s", k, *n);
    cr_assert_null(strstr(page, "<h2>Races"), "no race item, no race section");
    free(page);
    report_free(&r);
    drop_dir();
}

Test(html, inconclusive_is_styled_apart_from_a_fail, .timeout = 10)
{
    struct report r;
    char path[128];

    fresh_dir();
    fixture(&r, "lab2-threads");
    snprintf(path, sizeof(path), "%s/lab2.html", dir);
    cr_assert_eq(html_write_lab(&r, path), 0);
    char *page = slurp("lab2.html");
    char *cell = strstr(page, "data-verdict=\"inconclusive\"");
    cr_assert(cell, "the inconclusive cell has no verdict of its own");
    cr_assert(strstr(page, "class=\"item v-inconclusive\" data-verdict=\"inconclusive\""));
    cr_assert(strstr(page, ".v-inconclusive{"), "no style of its own");
    cr_assert(strstr(cell, "Inconclusive, not a fail:</b> the probe found only 0.18 of 2 cores "
                           "free<br>"),
              "its reason is not shown as the reason");
    cr_assert(strstr(cell, "<pre>retried once"), "the rest of its output is shown below");
    cr_assert(strstr(page, "<b>1 inconclusive cell</b>"), "no banner above the items");
    char *fail = strstr(page, "class=\"item v-fail\" data-verdict=\"fail\"");
    char *next = fail ? strstr(fail + 1, "<div class=\"item") : NULL;
    cr_assert(fail && next, "the failed item is not on the page");
    *next = '\0'; /* the failed item alone */
    cr_assert_null(strstr(fail, "nconclusive"), "a fail reads as inconclusive");
    free(page);
    report_free(&r);
    drop_dir();
}

Test(html, figures_beside_the_page, .timeout = 10)
{
    struct report r;
    char path[128], sub[128];

    fresh_dir();
    fixture(&r, "lab2-threads");
    snprintf(path, sizeof(path), "%s/lab2.html", dir);
    cr_assert_eq(html_write_lab(&r, path), 0);
    char *page = slurp("lab2.html");
    cr_assert_null(strstr(page, "<img"), "a figure that is not there is shown");
    cr_assert(strstr(page, "<!-- predictions vs measured"), "no place for predictions");
    free(page);
    put_file("lab2.svg", "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>");
    snprintf(sub, sizeof(sub), "%s/lab2-timelines", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    put_file("lab2-timelines/serve threads.svg", "<svg/>");
    put_file("lab2-timelines/cook.svg", "<svg/>");
    put_file("lab2-timelines/notes.txt", "not a figure");
    cr_assert_eq(html_write_lab(&r, path), 0);
    page = slurp("lab2.html");
    cr_assert(strstr(page, "<img src=\"lab2.svg\""), "the speed chart is not shown");
    char *cook = strstr(page, "<img src=\"lab2-timelines/cook.svg\"");
    char *serve = strstr(page, "<img src=\"lab2-timelines/serve%20threads.svg\"");
    cr_assert(cook && serve && cook < serve, "timelines missing or out of order");
    cr_assert_null(strstr(page, "notes.txt"));
    assert_balanced("lab2.html");
    free(page);
    report_free(&r);
    drop_dir();
}

Test(html, long_output_is_cut, .timeout = 10)
{
    struct report r;
    struct item big = item("spam::lots", ITEM_TEST, V_FAIL, 0, 1);
    char path[128];
    size_t size;

    fresh_dir();
    report_init(&r, "lab1-baselines", "t");
    big.output = malloc(200001);
    memset(big.output, 'y', 200000);
    big.output[200000] = '\0';
    report_add(&r, &big);
    snprintf(path, sizeof(path), "%s/lab1.html", dir);
    cr_assert_eq(html_write_lab(&r, path), 0);
    char *page = slurp("lab1.html");
    size = strlen(page);
    cr_assert_lt(size, 40000, "the page holds %zu bytes", size);
    cr_assert(strstr(page, "more bytes cut"));
    free(page);
    report_free(&r);
    drop_dir();
}

Test(html, index_lists_pages_and_embeds_the_current_one, .timeout = 10)
{
    struct report a, b;
    char path[128];

    fresh_dir();
    fixture(&a, "lab2-threads");
    fixture(&b, "lab10-extra");
    b.items[2].verdict = V_PASS, b.items[2].score = 3;
    snprintf(b.items[1].name, sizeof(b.items[1].name), "only_in_ten::x");
    put_file("notes.html", "<html>not a lab page</html>");
    put_file("forged.html", "<meta name=\"restaurant-lab\" content=\"<script>\">"
                            "<meta name=\"restaurant-score\" content=\"9/9\">");
    snprintf(path, sizeof(path), "%s/lab10.html", dir);
    cr_assert_eq(html_write_lab(&b, path), 0);
    snprintf(path, sizeof(path), "%s/lab2.html", dir);
    cr_assert_eq(html_write(&a, path), 0); /* the page, then the index */
    char *index = slurp("index.html");
    char *two = strstr(index, "<a href=\"lab2.html\">lab2-threads</a>");
    char *ten = strstr(index, "<a href=\"lab10.html\">lab10-extra</a>");
    cr_assert(two && ten && two < ten, "pages missing or out of version order");
    cr_assert(strstr(two, "6/13</span>, 1 inconclusive"), "lab 2's score");
    cr_assert(strstr(ten, "9/13</span>, 1 inconclusive"), "lab 10's score");
    cr_assert_null(strstr(index, "notes.html"), "a page that is not ours is listed");
    cr_assert_null(strstr(index, "forged"), "a page with a forged <meta> is listed");
    cr_assert(strstr(index, "thread_tally::<wbr>totals"), "the current page is not embedded");
    cr_assert_null(strstr(index, "only_in_ten"), "the other page is embedded");
    cr_assert_null(strstr(index, "every lab graded so far"), "the page around it is embedded");
    cr_assert_null(strstr(strstr(index, "<!doctype") + 1, "<!doctype"), "a page in a page");
    cr_assert_null(strstr(index, "<script"));
    cr_assert_null(strstr(index, "matrix"), "a matrix that is not there is shown");
    free(index);
    assert_balanced("index.html");
    put_file("matrix.svg", "<svg/>");
    put_file("matrix.md", "| x |");
    cr_assert_eq(html_write_index(dir, "lab10.html"), 0);
    index = slurp("index.html");
    cr_assert(strstr(index, "<img src=\"matrix.svg\""), "the matrix is not shown");
    cr_assert(strstr(index, "<a href=\"matrix.md\">"));
    cr_assert(strstr(index, "only_in_ten::<wbr>x"), "lab 10 is not embedded when named");
    assert_balanced("index.html");
    free(index);
    report_free(&a);
    report_free(&b);
    drop_dir();
}

Test(html, index_of_an_empty_folder, .timeout = 10)
{
    fresh_dir();
    cr_assert_eq(html_write_index(dir, NULL), 0);
    char *index = slurp("index.html");
    cr_assert(strstr(index, "no lab graded yet"));
    cr_assert_lt(html_write_index("/tmp/html-no-such-folder", NULL), 0);
    cr_assert_neq(access("/tmp/html-no-such-folder", F_OK), 0, "a folder was made up");
    free(index);
    drop_dir();
}

Test(html, index_alone_embeds_the_newest_page, .timeout = 10)
{
    struct report a, b;
    char path[128];
    struct timespec old[2] = {{.tv_sec = 1000000}, {.tv_sec = 1000000}};

    fresh_dir();
    fixture(&a, "lab1-baselines");
    fixture(&b, "lab3-processes");
    snprintf(a.items[1].name, sizeof(a.items[1].name), "in_lab_one");
    snprintf(b.items[1].name, sizeof(b.items[1].name), "in_lab_three");
    snprintf(path, sizeof(path), "%s/lab3.html", dir);
    cr_assert_eq(html_write_lab(&b, path), 0);
    cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0); /* graded long ago */
    snprintf(path, sizeof(path), "%s/lab1.html", dir);
    cr_assert_eq(html_write_lab(&a, path), 0);
    cr_assert_eq(html_write_index(dir, NULL), 0);
    char *index = slurp("index.html");
    cr_assert(strstr(index, "in_lab_one") && !strstr(index, "in_lab_three"),
              "not the newest page embedded");
    cr_assert(strstr(index, "<li class=\"cur\"><a href=\"lab1.html\">"));
    free(index);
    report_free(&a);
    report_free(&b);
    drop_dir();
}

/* What f wrote, as a string the caller frees (f is closed). */
static char *written(FILE *f, char **buf)
{
    cr_assert_eq(fclose(f), 0);
    return *buf;
}

/* html_int.h: the parts html.c, html_item.c and html_index.c share. */
Test(html, a_link_escapes_all_but_unreserved_bytes, .timeout = 10)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);

    html_put_url(f, "lab2-timelines/cook b&<\"x\".svg");
    cr_assert_str_eq(written(f, &buf), "lab2-timelines/cook%20b%26%3C%22x%22.svg");
    free(buf);
}

Test(html, is_file_is_a_regular_file_only, .timeout = 10)
{
    fresh_dir();
    put_file("a.svg", "<svg/>");
    cr_assert(html_is_file(dir, "a.svg"));
    cr_assert(!html_is_file(dir, "b.svg"));
    cr_assert(!html_is_file("/", "tmp")); /* a folder */
    drop_dir();
}

Test(html, head_carries_the_score_for_the_index_only_with_a_report, .timeout = 10)
{
    struct report r;
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);

    fixture(&r, "lab2-threads");
    html_head(f, "t <1>", &r);
    html_head(f, "index", NULL);
    char *text = written(f, &buf), *second = strstr(text + 1, "<!doctype html>");
    cr_assert(second);
    cr_assert(strstr(text, "<meta name=\"restaurant-score\" content=\"6/13\">"), "%s", text);
    cr_assert(strstr(text, "<meta name=\"restaurant-state\" content=\"1 inconclusive\">"));
    cr_assert(strstr(text, "<title>t &lt;1&gt;</title>"));
    cr_assert(!strstr(second, "restaurant-score"));
    free(buf);
    report_free(&r);
}

Test(html, figure_links_its_picture_and_escapes_the_caption, .timeout = 10)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);

    html_put_figure(f, "a b.svg", "x<y");
    char *text = written(f, &buf);
    cr_assert(strstr(text, "<a href=\"a%20b.svg\"><img src=\"a%20b.svg\" alt=\"x&lt;y\">"), "%s",
              text);
    cr_assert(strstr(text, "<figcaption>x&lt;y (open the figure"));
    free(buf);
}

Test(html, output_is_cut_at_a_character_boundary, .timeout = 10)
{
    char *buf, *out = malloc(40001);
    size_t len;
    FILE *f = open_memstream(&buf, &len);

    for (int i = 0; i < 40000; i += 2)
        memcpy(out + i, "\xc3\xa9", 2); /* é: 2 bytes each */
    out[40000] = '\0';
    html_put_output(f, "");
    html_put_output(f, out);
    char *text = written(f, &buf);
    cr_assert(!strncmp(text, "<pre>\xc3\xa9", 7), "%.20s", text); /* nothing for "" */
    cr_assert(!strstr(text, "\\x"), "a character was split");
    cr_assert(strstr(text, "\n[... 23616 more bytes cut: the whole text is in the results JSON]"),
              "%s", strstr(text, "[..."));
    free(buf);
    free(out);
}

Test(html, a_section_sums_its_kind_and_is_left_out_when_empty, .timeout = 10)
{
    struct report r;
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);

    fixture(&r, "lab2-threads");
    html_put_section(f, &r, ITEM_TEST);
    html_put_section(f, &r, ITEM_RACE);
    char *text = written(f, &buf);
    cr_assert(
        !strncmp(text, "<section class=\"kind-test\"><h2>Tests <small>(2 / 5)</small></h2>", 63),
        "%s", text);
    cr_assert(strstr(text, "thread_map::<wbr>results_in_order"));
    cr_assert(!strstr(text, "cook.threads") && !strstr(text, "kind-race"));
    free(buf);
    report_free(&r);
}

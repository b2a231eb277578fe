/* json.c: a JSON string writer that never emits bad UTF-8 (results.json's strings). */
#include <string.h>

#include "json.h"

size_t json_utf8_len(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = u[0] < 0x80 ? 1 : u[0] < 0xC2 ? 0 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t v;

    if (len == 0 || u[0] > 0xF4)
        return 0;
    v = len == 1 ? u[0] : u[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (u[i] & 0x3F);
    }
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

void json_put_string(FILE *f, const char *s)
{
    static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
    uint32_t cp;

    fputc('"', f);
    for (size_t len; s && *s; s += len) {
        const char *at = strchr(from, *s);

        len = json_utf8_len(s, &cp);
        if (at)
            fprintf(f, "\\%c", to[at - from]);
        else if (len == 0)
            fputs("\\ufffd", f); /* one replacement per bad byte */
        else if (cp < 0x20 || cp == 0x7F)
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fwrite(s, 1, len, f);
        len = len ? len : 1;
    }
    fputc('"', f);
}

bool json_reorders(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

size_t json_put_shown(FILE *f, const char *s, size_t n, const char *keep)
{
    uint32_t cp;
    size_t len = json_utf8_len(s, &cp);

    if (len == 0 || len > n ||
        (len == 1 && !strchr(keep, *s) && ((unsigned char)*s < 0x20 || *s == 0x7F)) ||
        (cp >= 0x80 && cp < 0xA0)) {
        fprintf(f, "\\x%02x", (unsigned char)*s);
        return 1;
    }
    if (json_reorders(cp))
        fprintf(f, "\\u{%04X}", (unsigned)cp);
    else
        fwrite(s, 1, len, f);
    return len;
}

const char *json_plain(char *buf, size_t len, const char *s)
{
    size_t used = 0;
    uint32_t cp;

    if (!len)
        return buf;
    for (size_t n; s && *s; s += n) {
        n = json_utf8_len(s, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            if (used + 4 >= len)
                break;
            snprintf(buf + used, len - used, "\\x%02x", (unsigned char)*s);
            used += 4, n = 1;
        } else if (json_reorders(cp)) {
            if (used + 8 >= len)
                break;
            used += (size_t)snprintf(buf + used, len - used, "\\u{%04X}", (unsigned)cp);
        } else {
            if (used + n >= len)
                break;
            memcpy(buf + used, s, n);
            used += n;
        }
    }
    buf[used] = '\0';
    return buf;
}

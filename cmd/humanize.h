/* humanize.h - numbers for people: sizes, ages, memory amounts. */
#ifndef UNIK_CMD_HUMANIZE_H
#define UNIK_CMD_HUMANIZE_H

#include <stddef.h>
#include <stdint.h>

/* "7.9MB", "412KB", "0B": decimal units, three significant digits. */
void human_size(int64_t bytes, char *buf, size_t len);

/* "Less than a second ago", "2 minutes ago", "About an hour ago", "3 weeks
 * ago" for the unix time `t` seen at `now`; "-" when t is 0. */
void human_ago(int64_t t, int64_t now, char *buf, size_t len);

/* Parses a memory amount in megabytes: "128", "128M", "128MB", "1G",
 * "1GB" (binary units, case-insensitive).  Returns 0 and sets *mb, or -1
 * when malformed, zero, or over 1 TB. */
int parse_memory_mb(const char *s, int *mb);

/* A size in bytes: "64M", "1G", "512K", "1048576", "2GiB", "2GB" (binary
 * units, case-insensitive) into *bytes; -1 when malformed, zero or over
 * `max`. */
int parse_bytes(const char *s, long long max, long long *bytes);

#endif

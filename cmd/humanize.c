/* humanize.c - sizes, ages and memory amounts for people. */
#include "humanize.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void human_size(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	double v = bytes < 0 ? 0 : (double)bytes;
	size_t u = 0;

	/* 999.6 would print as "1e+03" with three digits: move up a unit. */
	while (v >= 999.5 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
}

static void plural(char *buf, size_t len, long n, const char *unit)
{
	snprintf(buf, len, "%ld %s%s ago", n, unit, n == 1 ? "" : "s");
}

void human_ago(int64_t t, int64_t now, char *buf, size_t len)
{
	int64_t s = now - t;
	int64_t hours = s / 3600, days = s / 86400;

	if (!t) {
		snprintf(buf, len, "-");
		return;
	}
	if (s < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (s < 60)
		plural(buf, len, (long)s, "second");
	else if (s < 120)
		snprintf(buf, len, "About a minute ago");
	else if (s < 3600)
		plural(buf, len, (long)(s / 60), "minute");
	else if (hours < 2)
		snprintf(buf, len, "About an hour ago");
	else if (hours < 48)
		plural(buf, len, (long)hours, "hour");
	else if (days < 14)
		plural(buf, len, (long)days, "day");
	else if (days < 60)
		plural(buf, len, (long)(days / 7), "week");
	else if (days < 730)
		plural(buf, len, (long)(days / 30), "month");
	else
		plural(buf, len, (long)(days / 365), "year");
}

int parse_memory_mb(const char *s, int *mb)
{
	long long v, mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	if (!strcasecmp(end, "g") || !strcasecmp(end, "gb") || !strcasecmp(end, "gib"))
		mult = 1024;
	else if (*end && strcasecmp(end, "m") && strcasecmp(end, "mb") && strcasecmp(end, "mib"))
		return -1;
	if (v <= 0 || v > 1024LL * 1024 / mult)
		return -1;
	*mb = (int)(v * mult);
	return 0;
}

int parse_bytes(const char *s, long long max, long long *bytes)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1LL << 10; break;
	case 'M': mul = 1LL << 20; break;
	case 'G': mul = 1LL << 30; break;
	case 'T': mul = 1LL << 40; break;
	default: return -1;
	}
	if (*end && end[1] &&
	    !((end[1] == 'i' || end[1] == 'I') && (end[2] == 'B' || end[2] == 'b') && !end[3]) &&
	    !((end[1] == 'B' || end[1] == 'b') && !end[2]))
		return -1;
	if (v > max / mul)
		return -1;
	*bytes = v * mul;
	return 0;
}

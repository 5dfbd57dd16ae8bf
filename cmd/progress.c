/* progress.c - job transfer progress (see progress.h). */
#include "progress.h"

#include <string.h>

#define BAR 30 /* the bar's width in characters */

void progress_init(struct progress *p, FILE *out, int tty)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = tty;
	p->shown = -1;
}

void progress_bytes(char *buf, size_t size, long long n)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld B", n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

void progress_break(struct progress *p)
{
	if (p->tty && p->id[0])
		fputc('\n', p->out);
	p->id[0] = 0;
}

void progress_update(struct progress *p, const char *id, long long done, long long total)
{
	char d[32], t[32];
	int same = !strncmp(p->id, id, sizeof(p->id) - 1);

	if (done < 0 || total < 0 || (total && done > total))
		return; /* nonsense from the daemon: shown as nothing */
	progress_bytes(d, sizeof(d), done);
	progress_bytes(t, sizeof(t), total);
	if (p->tty) {
		char bar[BAR + 1];
		int fill = total ? (int)((double)done / (double)total * BAR) : 0;

		for (int i = 0; i < BAR; i++)
			bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
		bar[BAR] = 0;
		if (same)
			fputs("\r\033[K", p->out);
		else if (p->id[0])
			fputc('\n', p->out);
		fprintf(p->out, "%.19s [%s] %s / %s", id, bar, d, t);
	} else {
		int tenth = total ? (int)(done * 10 / total) : 10;

		if (same && tenth <= p->shown)
			return;
		p->shown = tenth;
		fprintf(p->out, "%.19s: %s / %s (%d%%)\n", id, d, t,
			total ? (int)(done * 100 / total) : 100);
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	fflush(p->out);
}

/* clock.h - milliseconds on the monotonic clock, for waits with deadlines. */
#ifndef UNIK_CLOCK_H
#define UNIK_CLOCK_H

/* Now, in ms of CLOCK_MONOTONIC. */
long long clock_now_ms(void);
/* Sleeps `ms` milliseconds (resumed after signals). */
void clock_sleep_ms(int ms);

#endif

/* summon_ct.h - counting a summoned guest's connections forwarded by the
 * kernel (summon_nat.c's DNAT), from its connection tracking. */
#ifndef UNIKD_SUMMON_CT_H
#define UNIKD_SUMMON_CT_H

/* The TCP connections tracked to guest:port that were DNAT'ed (not the
 * relay's own) and are open (any state but TIME_WAIT and CLOSE); raises
 * *last_end_ms to when the last closed one ended (wall clock, from its
 * entry's time left).  1 when the tracking cannot be read (busy: no idle
 * stop cuts a connection). */
int summon_ct_open(const char *guest, const char *port, long long *last_end_ms);

#endif

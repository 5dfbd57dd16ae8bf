/* summon_nat.h - once a summoned instance's guest accepts on its port,
 * the connections after the held one are forwarded by the kernel (a DNAT
 * rule, summon_nat.c), not relayed by unikd: the relay's cost is gone.
 * Only local clients (nat OUTPUT: the host itself) go that way; others, a
 * pool's (whose members are picked per connection) and UDP stay relayed.
 * The rules go when the VM ends or is about to be stopped; the idle timer
 * counts the forwarded connections in the kernel's connection tracking. */
#ifndef UNIKD_SUMMON_NAT_H
#define UNIKD_SUMMON_NAT_H

#include "../lib/portspec.h"

struct unikd;

/* Sets the daemon's chains up (flushing any a previous daemon left): 0, or
 * -1 when there is no usable iptables or summon.kernel_forward is off
 * (then every call below does nothing). */
int summon_nat_init(struct unikd *d);
/* Removes every rule and the chains. */
void summon_nat_fini(void);
/* Forwards p's later connections to guest_ip:p->guest_port for instance
 * id (queued: the iptables run takes tens of ms, the held connection is
 * relayed meanwhile), unless a VM ended since summon_vm_exits was
 * exits_seen (it may be this one); nothing when the rule is there already. */
void summon_nat_add_async(const char *id, const struct portspec *p, const char *guest_ip,
			  unsigned exits_seen);
/* Queues the removal of id's rules (every instance's with NULL) and
 * returns: takes only its own leaf lock (the VM's exit path, d->lock held). */
void summon_nat_drop(const char *id);
/* The connections forwarded to id's guest now open (0 when it has no rule);
 * *last_end_ms is raised to when the last one that closed ended (wall
 * clock, from the tracking entry's time left).  With remove, id's rules
 * are removed first (and waited for): what is counted then may have begun
 * just before, and none begins after; their ports are still counted by
 * the calls after it until the VM ends (summon_nat_drop) or a rule for
 * the port is added again. */
int summon_nat_conns(const char *id, int remove, long long *last_end_ms);
/* 1 while the removal of the rules of an instance other than self (NULL:
 * any) that forwarded to address ip is queued or running: the address is
 * not given to another instance until then (network.c). */
int summon_nat_address_draining(const char *ip, const char *self);

#endif

/* gnttab.h - grant table v1 (gnttab.c): pages a back end may map. */
#ifndef UNIK_RT_XEN_GNTTAB_H
#define UNIK_RT_XEN_GNTTAB_H

#include "../../core/kernel.h"

#define GNTTAB_FRAMES 4 /* 2048 entries, 2040 for the front ends */

/* Maps the table (once; later calls do nothing): 0 or -ENODEV. */
int gnttab_init(void);
/* Lets domain domid map frame pfn (read-only when readonly): the grant's
 * ref (>= 8), or -ENOSPC when every entry is in use. */
int gnttab_grant(u16 domid, u64 pfn, bool readonly);
/* Ends a grant: 0, or -EBUSY while the back end still maps the frame (the
 * entry stays granted: try again later, or leave it), -EINVAL. */
int gnttab_end(int ref);
/* Entries left (for tests and messages). */
u32 gnttab_free_count(void);

#endif

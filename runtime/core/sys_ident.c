/* sys_ident.c - user, group, session and process-group identity (ident.h).
 *
 * The program starts as root.  The set*id calls follow Linux's rules for
 * who may change what (root may set anything; others only swap among
 * their real, effective and saved ids), so a server that drops privileges
 * sees them dropped and cannot take them back.  Nothing is refused for the
 * resulting ids: files have no other owner to protect.  The one process is
 * pid 1, its own session and process group.
 */
#include "errno.h"
#include "ident.h"
#include "syscall.h"

#define NGROUPS 256
#define KEEP ((u32)-1)

struct ids {
	u32 r, e, s, fs;
};

static struct ids uid, gid;
static u32 groups[NGROUPS];
static int ngroups;

u32 ident_fsuid(void)
{
	return uid.fs;
}

u32 ident_fsgid(void)
{
	return gid.fs;
}

u32 ident_uid(void)
{
	return uid.r;
}

u32 ident_gid(void)
{
	return gid.r;
}

u32 ident_euid(void)
{
	return uid.e;
}

u32 ident_egid(void)
{
	return gid.e;
}

/* May the caller set an id to v without privilege? */
static bool among(const struct ids *id, u32 v)
{
	return v == id->r || v == id->e || v == id->s;
}

static bool privileged(void)
{
	return uid.e == 0;
}

/* setuid/setgid */
static long set_one(struct ids *id, u32 v)
{
	if (privileged()) {
		id->r = id->e = id->s = v;
	} else if (v == id->r || v == id->s) {
		id->e = v;
	} else {
		return -EPERM;
	}
	id->fs = id->e;
	return 0;
}

/* setreuid/setregid */
static long set_re(struct ids *id, u32 r, u32 e)
{
	struct ids n = *id;

	if (r != KEEP) {
		if (!privileged() && r != id->r && r != id->e)
			return -EPERM;
		n.r = r;
	}
	if (e != KEEP) {
		if (!privileged() && !among(id, e))
			return -EPERM;
		n.e = e;
	}
	if (r != KEEP || (e != KEEP && e != id->r))
		n.s = n.e;
	n.fs = n.e;
	*id = n;
	return 0;
}

/* setresuid/setresgid */
static long set_res(struct ids *id, u32 r, u32 e, u32 s)
{
	const u32 want[3] = { r, e, s };

	for (int i = 0; i < 3; i++) {
		if (want[i] != KEEP && !privileged() && !among(id, want[i]))
			return -EPERM;
	}
	if (r != KEEP)
		id->r = r;
	if (e != KEEP)
		id->e = e;
	if (s != KEEP)
		id->s = s;
	id->fs = id->e;
	return 0;
}

static long get_res(const struct ids *id, long ur, long ue, long us)
{
	if (!user_ok(ur, 4, true) || !user_ok(ue, 4, true) || !user_ok(us, 4, true))
		return -EFAULT;
	*(u32 *)ur = id->r;
	*(u32 *)ue = id->e;
	*(u32 *)us = id->s;
	return 0;
}

/* setfsuid/setfsgid: the old value, whether or not the change was allowed. */
static long set_fs(struct ids *id, u32 v)
{
	u32 old = id->fs;

	if (privileged() || among(id, v) || v == id->fs)
		id->fs = v;
	return old;
}

SYSCALL(getuid)
{
	return uid.r;
}

SYSCALL(geteuid)
{
	return uid.e;
}

SYSCALL(getgid)
{
	return gid.r;
}

SYSCALL(getegid)
{
	return gid.e;
}

SYSCALL(setuid)
{
	return set_one(&uid, (u32)a0);
}

SYSCALL(setgid)
{
	/* setgid needs CAP_SETGID, which goes with an effective uid of 0 */
	return set_one(&gid, (u32)a0);
}

SYSCALL(setreuid)
{
	return set_re(&uid, (u32)a0, (u32)a1);
}

SYSCALL(setregid)
{
	return set_re(&gid, (u32)a0, (u32)a1);
}

SYSCALL(setresuid)
{
	return set_res(&uid, (u32)a0, (u32)a1, (u32)a2);
}

SYSCALL(setresgid)
{
	return set_res(&gid, (u32)a0, (u32)a1, (u32)a2);
}

SYSCALL(getresuid)
{
	return get_res(&uid, a0, a1, a2);
}

SYSCALL(getresgid)
{
	return get_res(&gid, a0, a1, a2);
}

SYSCALL(setfsuid)
{
	return set_fs(&uid, (u32)a0);
}

SYSCALL(setfsgid)
{
	return set_fs(&gid, (u32)a0);
}

SYSCALL(getgroups)
{
	if (a0 < 0)
		return -EINVAL;
	if (!a0)
		return ngroups;
	if (a0 < ngroups)
		return -EINVAL;
	if (!user_ok(a1, (u64)ngroups * 4, true))
		return -EFAULT;
	memcpy((void *)a1, groups, (u64)ngroups * 4);
	return ngroups;
}

SYSCALL(setgroups)
{
	if (!privileged())
		return -EPERM;
	if (a0 < 0 || a0 > NGROUPS)
		return -EINVAL;
	if (!user_ok(a1, (u64)a0 * 4, false))
		return -EFAULT;
	memcpy(groups, (const void *)a1, (u64)a0 * 4);
	ngroups = (int)a0;
	return 0;
}

/* Sessions and process groups: pid 1 leads both, and stays so. */
static bool self(long pid)
{
	return pid == 0 || pid == 1;
}

SYSCALL(getpgrp)
{
	return 1;
}

SYSCALL(getpgid)
{
	return self(a0) ? 1 : -ESRCH;
}

SYSCALL(getsid)
{
	return self(a0) ? 1 : -ESRCH;
}

SYSCALL(setsid)
{
	return 1;
}

SYSCALL(setpgid)
{
	if (!self(a0))
		return -ESRCH;
	return self(a1) ? 0 : -EPERM;
}

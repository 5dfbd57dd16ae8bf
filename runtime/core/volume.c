/* volume.c - volumes: the disks of the platform and the file systems on
 * them, mounted where the boot command line says (unik.mount=, abi/boot.h).
 *
 * Each word is "DISK:PATH:FSTYPE:MODE": DISK the index of a disk of
 * blk.h, PATH an absolute path (made with its parents when missing),
 * FSTYPE ext2, ext4, fat or auto (the superblock decides), MODE ro or rw.
 * A volume that cannot be mounted as asked ends the boot (status 255) with
 * a line naming it: a program must not run with its data missing.
 */
#include "blk.h"
#include "errno.h"
#include "fs.h"
#include "runtime.h"
#include "sched.h"
#include "thread.h"
#include "vfs.h"
#include "../platform/platform.h"

static struct mount *mounts[MAX_MOUNTS];
static int nmounts;

static const struct fs_type *const fs_types[] = { &fs_ext2, &fs_fat };

/* Parses "DISK:PATH:FSTYPE:MODE" into its parts (s is modified). */
static bool parse(char *s, long *disk, char **path, char **type, bool *rw)
{
	char *c1 = strchr(s, ':'), *c3 = strrchr(s, ':'), *c2;
	long v = 0;

	if (!c1 || c1 == s || c3 == c1)
		return false;
	*c3 = 0;
	c2 = strrchr(c1 + 1, ':');
	if (!c2)
		return false;
	*c1 = *c2 = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000)
			return false;
		v = v * 10 + (*p - '0');
	}
	*disk = v;
	*path = c1 + 1;
	*type = c2 + 1;
	if (!strcmp(c3 + 1, "rw"))
		*rw = true;
	else if (!strcmp(c3 + 1, "ro"))
		*rw = false;
	else
		return false;
	return (*path)[0] == '/' && strlen(*path) < PATH_MAX;
}

static void mount_one(const char *word)
{
	char buf[PATH_MAX + 64], *path, *type;
	struct blkdev *d;
	struct vnode *dir;
	struct mount *m = NULL;
	long disk;
	bool rw;
	int err = -ENODEV;

	if (strlen(word) >= sizeof(buf) || (strlcpy(buf, word, sizeof(buf)), false) ||
	    !parse(buf, &disk, &path, &type, &rw))
		panic("volume '%s': not DISK:PATH:FSTYPE:MODE", word);
	d = blk_get((int)disk);
	if (!d)
		panic("volume %s: no disk %ld (the platform has %d)", path, disk, blk_count());
	if (rw && d->ro)
		panic("volume %s: disk %ld is read-only, the volume asks for rw", path, disk);
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]) && !m; i++) {
		const struct fs_type *t = fs_types[i];

		if (strcmp(type, "auto") && !fs_type_is(t, type))
			continue;
		err = t->mount(d, rw, &m);
		if (err && strcmp(type, "auto"))
			break;
	}
	if (!m)
		panic("volume %s: cannot mount disk %ld (%s) as %s: %s", path, disk, d->name, type,
		      fs_mount_error(err));
	dir = vfs_mkdir_p(path);
	if (!dir)
		panic("volume %s: its mount point cannot be made (a file is in the way)", path);
	err = vfs_mount(dir, m);
	vn_put(dir);
	if (err)
		panic("volume %s: cannot mount there (%d: already a mount point, or busy)", path,
		      err);
	mounts[nmounts++] = m;
	if (runtime_cmdline()->verbose)
		kprintf("unikernel: volume %s: disk %ld (%s, %lu MiB) %s %s\n", path, disk, d->name,
			d->sectors * d->sector_size >> 20, m->type->name, rw ? "rw" : "ro");
}

void volumes_init(const struct cmdline *c)
{
	if (unik_volumes_mount)
		unik_volumes_mount(c);
	else if (c->nmounts)
		panic("volume '%s': this image has no volumes (its program makes no file-system "
		      "calls, so the c compiler left the file systems and disk drivers out)",
		      c->mounts[0]);
}

void volumes_sync(bool final)
{
	if (unik_volumes_write_back)
		unik_volumes_write_back(final);
}

void volumes_mount(const struct cmdline *c)
{
	blk_probe();
	if (blkdev_init())
		kprintf("unikernel: no memory for /dev's disk nodes\n");
	for (int i = 0; i < c->nmounts; i++)
		mount_one(c->mounts[i]);
}

void volumes_write_back(bool final)
{
	for (int i = 0; i < nmounts; i++) {
		struct mount *m = mounts[i];

		if (m->rw && m->type->sync(m, final))
			kprintf("unikernel: volume on %s: writing it back failed (I/O error)\n",
				m->dev->name);
	}
	for (int i = 0; i < blk_count(); i++)
		blk_flush(blk_get(i));
}

const char *fs_mount_error(int err)
{
	switch (err) {
	case -EINVAL: return "no such file system on it (or a corrupt superblock)";
	case -EROFS: return "it can only be mounted read-only (features, or a journal)";
	case -EOPNOTSUPP: return "it uses features the runtime cannot read";
	case -EIO: return "I/O error";
	case -ENOMEM: return "out of memory";
	case -ENODEV: return "no file system type of that name";
	}
	return "error";
}

static bool unlocked(void *arg)
{
	return !((struct mount *)arg)->locked;
}

void fs_lock(struct mount *m)
{
	if (m->locked && m->owner == cur_thread) {
		m->depth++;
		return;
	}
	while (m->locked)
		sched_wait_noint(unlocked, m, SCHED_FOREVER, "a busy volume");
	m->locked = true;
	m->owner = cur_thread;
	m->depth = 1;
}

/* Dirty data of a busy volume reaches its disk at least this often. */
#define WRITEBACK_NS (30 * 1000000000UL)

void fs_unlock(struct mount *m)
{
	if (m->depth == 1 && m->rw) {
		u64 now = plat_monotonic_ns();

		if (!m->synced_ns)
			m->synced_ns = now;
		if (now - m->synced_ns >= WRITEBACK_NS) {
			m->synced_ns = now;
			if (m->type->sync(m, false))
				kprintf(
				    "unikernel: volume on %s: writing it back failed (I/O error)\n",
				    m->dev->name);
		}
	}
	if (--m->depth)
		return;
	m->locked = false;
	m->owner = NULL;
	sched_wake();
}

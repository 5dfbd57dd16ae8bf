/* block.c - the monitors' disks: the files of --block PATH[:ro].
 *
 * Each is opened here, before the privilege drop and the seccomp filter,
 * and locked with flock (shared for read-only, exclusive for read-write),
 * so a second monitor cannot write a disk another one uses.  The guest
 * then reads and writes it only through the fds opened here: hvt serves
 * the BLOCK_* calls with pread64/pwrite64 (hvt_calls.c), spt hands the fds
 * to the runtime in the boot info; either filter allows those calls on
 * these fds only (seccomp.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor.h"

static int disk_open(const char *path, int ro, struct mon_disk *d, char *why)
{
	struct stat st;
	uint64_t size = 0;
	int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, MON_WHY, "--block %.200s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, MON_WHY, "--block %.200s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			snprintf(why, MON_WHY, "--block %.200s: its size: %s", path,
				 strerror(errno));
			goto fail;
		}
	} else {
		snprintf(why, MON_WHY, "--block %.200s: not a regular file or block device", path);
		goto fail;
	}
	size -= size % HVT_SECTOR_SIZE;
	if (!size) {
		snprintf(why, MON_WHY, "--block %.200s: smaller than one sector (%d bytes)", path,
			 HVT_SECTOR_SIZE);
		goto fail;
	}
	if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		snprintf(why, MON_WHY, "--block %.200s: %s", path,
			 errno == EWOULDBLOCK ? "in use by another guest (locked)"
					      : strerror(errno));
		goto fail;
	}
	d->fd = fd;
	d->ro = ro;
	d->size = size;
	return 0;
fail:
	close(fd);
	return -1;
}

int mon_disks_open(const struct mon_opts *o, struct mon_disk *d, char *why)
{
	for (int i = 0; i < o->nblocks; i++) {
		if (disk_open(o->block_path[i], o->block_ro[i], &d[i], why) < 0) {
			while (i--)
				close(d[i].fd);
			return -1;
		}
	}
	return 0;
}

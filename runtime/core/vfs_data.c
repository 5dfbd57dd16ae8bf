/* vfs_data.c - file contents and the overlay's budget (vfs.h).
 *
 * A node's contents are zeroed 4 KiB frames in a page tree: height 0 is one
 * page (files up to 4 KiB), each level above is a frame of 512 frame
 * addresses.  Missing pages are holes and read as zeros.  Packed contents
 * (n->ro) are read in place until the first change copies them.  Every
 * frame and every node and name made after boot counts against the limit:
 * past it, writes get ENOSPC.
 */
#include "errno.h"
#include "fs.h"
#include "mm.h"
#include "vfs.h"

#define FANOUT 512
#define MAX_HEIGHT 4 /* 512^3 pages: 512 GiB */

static u64 limit = ~0UL, used;
static bool charging;

bool vfs_charge(u64 bytes)
{
	if (!charging)
		return true;
	if (used + bytes > limit)
		return false;
	used += bytes;
	return true;
}

void vfs_uncharge(u64 bytes)
{
	if (!charging)
		return;
	used = bytes > used ? 0 : used - bytes;
}

bool vfs_counting(void)
{
	return charging;
}

void vfs_set_limit(u64 bytes)
{
	limit = bytes;
}

void vfs_charging(bool on)
{
	charging = on;
}

u64 vfs_limit(void)
{
	return limit;
}

u64 vfs_used(void)
{
	return used;
}

/* A zeroed frame for n's contents, counted unless n is uncounted. */
static u64 data_frame(struct vnode *n)
{
	bool count = !(n->flags & VN_NOCHARGE) && vfs_counting();
	u64 pa;

	if (count && !vfs_charge(PAGE_SIZE))
		return 0;
	pa = frame_alloc();
	if (!pa && count)
		vfs_uncharge(PAGE_SIZE);
	if (pa && count)
		n->cpages++;
	return pa;
}

static void data_frame_free(struct vnode *n, u64 pa)
{
	frame_free(pa);
	if (n->cpages) {
		n->cpages--;
		vfs_uncharge(PAGE_SIZE);
	}
}

static u64 capacity(int height)
{
	u64 c = 1;

	while (height--)
		c *= FANOUT;
	return c;
}

/* The page at index idx (its address), or NULL for a hole; with `alloc`
 * the page (and tables) are made, NULL then meaning no space. */
static u8 *page_at(struct vnode *n, u64 idx, bool alloc)
{
	u64 *slot = &n->data;
	int h;

	if (idx >= capacity(n->height)) {
		if (!alloc)
			return NULL;
		/* grow the tree: the old root becomes entry 0 of a new one */
		while (idx >= capacity(n->height)) {
			u64 t;

			if (n->height == MAX_HEIGHT - 1)
				return NULL;
			if (n->data) {
				t = data_frame(n);
				if (!t)
					return NULL;
				*(u64 *)phys_to_virt(t) = n->data;
				n->data = t;
			}
			n->height++;
		}
	}
	for (h = n->height; h > 0; h--) {
		u64 *table;

		if (!*slot) {
			if (!alloc || !(*slot = data_frame(n)))
				return NULL;
		}
		table = phys_to_virt(*slot);
		slot = &table[(idx / capacity(h - 1)) % FANOUT];
	}
	if (!*slot && (!alloc || !(*slot = data_frame(n))))
		return NULL;
	return phys_to_virt(*slot);
}

/* Frees the pages at index >= first under the table `pa` of height h
 * (covering indexes from base); true when the table became empty. */
static bool free_from(struct vnode *n, u64 *slot, int h, u64 base, u64 first)
{
	u64 *table, span;
	bool empty = true;

	if (!*slot)
		return true;
	if (h == 0) {
		if (base >= first) {
			data_frame_free(n, *slot);
			*slot = 0;
			return true;
		}
		return false;
	}
	table = phys_to_virt(*slot);
	span = capacity(h - 1);
	for (u64 i = 0; i < FANOUT; i++) {
		u64 b = base + i * span;

		if (b + span > first && table[i])
			free_from(n, &table[i], h - 1, b, first);
		if (table[i])
			empty = false;
	}
	if (empty) {
		data_frame_free(n, *slot);
		*slot = 0;
	}
	return empty;
}

void vn_free_data(struct vnode *n)
{
	if (n->mnt)
		return; /* a volume's: its file system frees it (evict) */
	free_from(n, &n->data, n->height, 0, 0);
	n->height = 0;
	n->ro = NULL;
	n->size = 0;
}

/* Copies packed contents into n's own pages before a change. */
static int own(struct vnode *n)
{
	const u8 *ro = n->ro;
	u64 size = n->size;

	if (!ro)
		return 0;
	n->ro = NULL;
	n->size = 0;
	if (vn_write(n, 0, ro, size) != (long)size) {
		vn_free_data(n);
		n->ro = ro;
		n->size = size;
		return -ENOSPC;
	}
	return 0;
}

u64 vn_read(struct vnode *n, u64 off, void *dst, u64 len)
{
	if (n->mnt) {
		long r = n->mnt->type->read(n, off, dst, len);

		return r < 0 ? 0 : (u64)r;
	}
	u8 *d = dst;
	u64 done = 0;

	if (off >= n->size)
		return 0;
	len = MIN(len, n->size - off);
	if (n->ro) {
		memcpy(d, n->ro + off, len);
		return len;
	}
	while (done < len) {
		u64 pos = off + done, k = MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE);
		const u8 *page = page_at(n, pos / PAGE_SIZE, false);

		if (page)
			memcpy(d + done, page + pos % PAGE_SIZE, k);
		else
			memset(d + done, 0, k);
		done += k;
	}
	return len;
}

const u8 *vn_map(struct vnode *n, u64 off, u64 *len)
{
	if (n->mnt) { /* a volume's: a copy of the page at off */
		static u8 page[PAGE_SIZE];
		long r = n->mnt->type->read(n, off, page, PAGE_SIZE - off % PAGE_SIZE);

		*len = r > 0 ? (u64)r : 0;
		return page;
	}
	const u8 *page;

	*len = 0;
	if (off >= n->size)
		return NULL;
	if (n->ro) {
		*len = n->size - off;
		return n->ro + off;
	}
	*len = MIN(n->size - off, PAGE_SIZE - off % PAGE_SIZE);
	page = page_at(n, off / PAGE_SIZE, false);
	return page ? page + off % PAGE_SIZE : NULL;
}

long vn_write(struct vnode *n, u64 off, const void *src, u64 len)
{
	if (n->mnt)
		return n->mnt->rw ? n->mnt->type->write(n, off, src, len) : -EROFS;
	const u8 *s = src;
	u64 done = 0;
	int err = own(n);

	if (err)
		return err;
	if (off + len < off || off + len > capacity(MAX_HEIGHT - 1) * PAGE_SIZE)
		return -EFBIG;
	while (done < len) {
		u64 pos = off + done, k = MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE);
		u8 *page = page_at(n, pos / PAGE_SIZE, true);

		if (!page)
			break;
		memcpy(page + pos % PAGE_SIZE, s + done, k);
		done += k;
		if (pos + k > n->size)
			n->size = pos + k;
	}
	if (!done && len)
		return -ENOSPC;
	n->mtime = n->ctime = vfs_now();
	return (long)done;
}

void vn_append(struct vnode *n, const char *s, u64 len)
{
	vn_write(n, n->size, s, len);
}

int vn_truncate(struct vnode *n, u64 size)
{
	if (n->mnt)
		return n->mnt->rw ? n->mnt->type->truncate(n, size) : -EROFS;
	int err;

	if (size > capacity(MAX_HEIGHT - 1) * PAGE_SIZE)
		return -EFBIG;
	if (n->ro && size <= n->size) {
		/* shrinking packed contents needs no copy */
		n->size = size;
		if (!size)
			n->ro = NULL;
		n->mtime = n->ctime = vfs_now();
		return 0;
	}
	err = own(n);
	if (err)
		return err;
	if (size < n->size) {
		u64 first = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
		u8 *page;

		free_from(n, &n->data, n->height, 0, first);
		if (!n->data)
			n->height = 0;
		/* the rest of the last page must read as zeros if the file grows */
		if (size % PAGE_SIZE && (page = page_at(n, size / PAGE_SIZE, false)))
			memset(page + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	}
	n->size = size;
	n->mtime = n->ctime = vfs_now();
	return 0;
}

int vn_allocate(struct vnode *n, u64 off, u64 len)
{
	int err;

	if (n->mnt)
		return n->mnt->rw ? -EOPNOTSUPP : -EROFS; /* as Linux's ext2 */
	err = own(n);

	if (err)
		return err;
	if (off + len < off || off + len > capacity(MAX_HEIGHT - 1) * PAGE_SIZE)
		return -EFBIG;
	for (u64 p = off / PAGE_SIZE; p * PAGE_SIZE < off + len; p++) {
		if (!page_at(n, p, true))
			return -ENOSPC;
	}
	if (off + len > n->size)
		n->size = off + len;
	return 0;
}

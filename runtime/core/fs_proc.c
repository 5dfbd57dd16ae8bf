/* fs_proc.c - /proc and the few /sys files programs read, read-only, made
 * when the program first looks in either.  Files whose contents change (maps, status, meminfo...) are
 * generated when they are opened; /proc/self is a link to /proc/1, whose
 * fd/ lists the open descriptors as links (readlink names the file; open
 * reaches the same file). */
#include "errno.h"
#include "fd.h"
#include "ident.h"
#include "mm.h"
#include "random.h"
#include "runtime.h"
#include "vfs_int.h"
#include "../platform/platform.h"

#define NSEC 1000000000UL

typedef void (*gen_fn)(struct vnode *out);
typedef long (*link_fn)(char *buf, size_t size);

/* The threads of the program, when the scheduler counts them (weak: absent
 * without threads, then one). */
extern int thread_count __attribute__((weak));

static void outf(struct vnode *o, const char *fmt, ...) __printf(2, 3);

static void outf(struct vnode *o, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vn_append(o, line, (u64)MIN(n, (int)sizeof(line) - 1));
}

static u64 kib(u64 frames)
{
	return frames * (PAGE_SIZE / 1024);
}

/* --- generated files --------------------------------------------------- */

static const char *exe_name(void)
{
	return runtime_cmdline()->argv[0];
}

static void gen_maps(struct vnode *o)
{
	u64 addr = 0, start, end;
	enum vma_kind kind;
	int prot;

	while (vm_next_area(&addr, &start, &end, &prot, &kind)) {
		outf(o, "%08lx-%08lx %c%c%cp 00000000 00:00 0", start, end,
		     prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
		     prot & PROT_EXEC ? 'x' : '-');
		outf(o, "%s%s%s\n", kind == VMA_ANON ? "" : "                    ",
		     kind == VMA_IMAGE ? "/" : "",
		     kind == VMA_IMAGE	 ? exe_name()
		     : kind == VMA_BRK	 ? "[heap]"
		     : kind == VMA_STACK ? "[stack]"
					 : "");
	}
}

static u64 vm_size_kib(void)
{
	u64 addr = 0, start, end, total = 0;
	enum vma_kind kind;
	int prot;

	while (vm_next_area(&addr, &start, &end, &prot, &kind))
		total += end - start;
	return total / 1024;
}

static int threads(void)
{
	return &thread_count ? thread_count : 1;
}

static void gen_status(struct vnode *o)
{
	u64 rss = kib(frames_total() - frames_free());

	outf(o, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t1\nNgid:\t0\nPid:\t1\n",
	     misc_comm(), fd_umask());
	outf(o, "PPid:\t0\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
	     ident_uid(), ident_euid(), ident_euid(), ident_fsuid(), ident_gid(), ident_egid(),
	     ident_egid(), ident_fsgid());
	outf(o, "FDSize:\t%d\nGroups:\t\nVmPeak:\t%lu kB\nVmSize:\t%lu kB\nVmHWM:\t%lu kB\n",
	     MAX_FDS, vm_size_kib(), vm_size_kib(), rss);
	outf(o, "VmRSS:\t%lu kB\nThreads:\t%d\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n", rss,
	     threads());
}

static void gen_stat(struct vnode *o)
{
	u64 ticks = plat_monotonic_ns() / (NSEC / 100);

	outf(o, "1 (%s) R 0 1 1 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 %d 0 0 %lu %lu ", misc_comm(),
	     ticks, threads(), vm_size_kib() * 1024, frames_total() - frames_free());
	outf(o, "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
}

static void gen_strings(struct vnode *o, char *const *v, int n)
{
	for (int i = 0; i < n; i++)
		vn_append(o, v[i], strlen(v[i]) + 1);
}

static void gen_cmdline(struct vnode *o)
{
	gen_strings(o, runtime_cmdline()->argv, runtime_cmdline()->argc);
}

static void gen_environ(struct vnode *o)
{
	gen_strings(o, runtime_cmdline()->envp, runtime_cmdline()->envc);
}

static void gen_mounts(struct vnode *o)
{
	outf(o, "tmpfs / tmpfs rw 0 0\nproc /proc proc ro 0 0\nsysfs /sys sysfs ro 0 0\n");
}

static void gen_meminfo(struct vnode *o)
{
	u64 total = kib(frames_total()), avail = kib(frames_free());

	outf(o, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
	     total, avail, avail);
	outf(o,
	     "Buffers:               0 kB\nCached:         %8lu kB\nSwapCached:            0 kB\n",
	     vfs_used() / 1024);
	outf(o,
	     "Shmem:          %8lu kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
	     vfs_used() / 1024);
}

static void gen_cpuinfo(struct vnode *o)
{
	u64 khz = plat_clock_hz() / 1000;

	outf(o, "processor\t: 0\nvendor_id\t: unik\nmodel name\t: unik virtual CPU\n");
	outf(o, "cpu MHz\t\t: %lu.%03lu\ncpu cores\t: 1\nsiblings\t: 1\n\n", khz / 1000,
	     khz % 1000);
}

static void gen_uptime(struct vnode *o)
{
	u64 cs = plat_monotonic_ns() / (NSEC / 100);

	outf(o, "%lu.%02lu 0.00\n", cs / 100, cs % 100);
}

static void gen_sys_stat(struct vnode *o)
{
	u64 ticks = plat_monotonic_ns() / (NSEC / 100);

	outf(o, "cpu  %lu 0 0 0 0 0 0 0 0 0\ncpu0 %lu 0 0 0 0 0 0 0 0 0\n", ticks, ticks);
	outf(o, "btime %lu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n",
	     (plat_wall_ns() - plat_monotonic_ns()) / NSEC);
}

static void gen_loadavg(struct vnode *o)
{
	outf(o, "0.00 0.00 0.00 1/%d 1\n", threads());
}

static void gen_uuid(struct vnode *o)
{
	u8 b[16];

	random_fill(b, sizeof(b));
	b[6] = (u8)((b[6] & 0x0f) | 0x40);
	b[8] = (u8)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++)
		outf(o, "%02x%s", b[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	outf(o, "\n");
}

static int generate(struct vnode *n, struct vnode *out)
{
	((gen_fn)n->priv)(out);
	return 0;
}

static const struct vnode_ops gen_ops = { .generate = generate };

/* --- links --------------------------------------------------------------- */

static long copy_str(char *buf, size_t size, const char *s)
{
	size_t n = MIN(strlen(s), size);

	memcpy(buf, s, n);
	return (long)n;
}

static long link_exe(char *buf, size_t size)
{
	if (size < 2)
		return -ENAMETOOLONG;
	buf[0] = '/';
	return 1 + copy_str(buf + 1, size - 1, exe_name());
}

static long link_cwd(char *buf, size_t size)
{
	return vfs_path_of(fd_cwd(), buf, size);
}

static long readlink_fn(struct vnode *n, char *buf, size_t size)
{
	return ((link_fn)n->priv)(buf, size);
}

static const struct vnode_ops link_ops = { .readlink = readlink_fn };

/* What a file without a node is called: "pipe", "socket", a device path
 * or an anonymous inode's name. */
static const char *kind_of(const struct file *f, const struct vnode *v)
{
	if (f->ops->kind)
		return f->ops->kind;
	switch (v->mode & S_IFMT) {
	case S_IFIFO: return "pipe";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "/dev/console";
	default: return "anon_inode:[unknown]";
	}
}

/* /proc/1/fd/N: priv is N. */
static long fdlink_readlink(struct vnode *n, char *buf, size_t size)
{
	struct file *f = fd_get((long)n->priv);
	struct vnode tmp;
	const struct vnode *v;
	const char *kind;
	char name[64];
	long len;

	if (!f)
		return -ENOENT;
	if (f->node) {
		len = vfs_path_of(f->node, buf, size);
		return len != -ENOENT ? len : copy_str(buf, size, "/ (deleted)");
	}
	v = file_vnode(f, &tmp);
	kind = kind_of(f, v);
	if (kind[0] == '/' || !strncmp(kind, "anon_inode:", 11))
		return copy_str(buf, size, kind);
	ksnprintf(name, sizeof(name), "%s:[%lu]", kind, v->ino);
	return copy_str(buf, size, name);
}

static struct file *fdlink_file(struct vnode *n)
{
	return fd_get((long)n->priv);
}

static const struct vnode_ops fdlink_ops = {
	.readlink = fdlink_readlink,
	.link_file = fdlink_file,
};

static struct vnode *fd_lookup(struct vnode *dir, const char *name)
{
	long fd = 0;
	struct vnode *n;

	if (!*name || (name[0] == '0' && name[1]))
		return NULL;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || fd >= MAX_FDS)
			return NULL;
		fd = fd * 10 + (*p - '0');
	}
	if (!fd_get(fd))
		return NULL;
	n = vfs_new_synthetic(S_IFLNK | 0700);
	if (!n)
		return NULL;
	n->ops = &fdlink_ops;
	n->priv = (void *)fd;
	n->flags |= VN_RO;
	n->ino = 0x10000 + (u64)fd;
	return n;
}

static struct vnode *fd_next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	for (long fd = (long)*pos - 2; fd < MAX_FDS; fd++) {
		if (fd >= 0 && fd_get(fd)) {
			ksnprintf(name, size, "%ld", fd);
			*pos = (u64)fd + 3;
			return fd_lookup(dir, name);
		}
	}
	return NULL;
}

static const struct vnode_ops fd_dir_ops = { .lookup = fd_lookup, .next = fd_next };

/* --- the tree ------------------------------------------------------------ */

/* A read-only node at absolute `path` (parents made as needed) in *out;
 * NULL there when the image packs its own. */
static int add(const char *path, u32 mode, struct vnode **out)
{
	struct vnode *dir = vfs_mkparents(path);
	int err = dir ? vfs_create(dir, strrchr(path, '/') + 1, mode, out) : -ENOMEM;

	vn_put(dir);
	if (*out)
		(*out)->flags |= VN_RO;
	return err == -EEXIST ? 0 : err;
}

static int add_gen(const char *path, gen_fn fn)
{
	struct vnode *n = NULL;
	int err = add(path, S_IFREG | 0444, &n);

	if (n) {
		n->ops = &gen_ops;
		n->priv = (void *)fn;
		vn_put(n);
	}
	return err;
}

static int add_text(const char *path, const char *text)
{
	struct vnode *n = NULL;
	int err = add(path, S_IFREG | 0444, &n);

	if (n) {
		n->ro = (const u8 *)text;
		n->size = strlen(text);
		vn_put(n);
	}
	return err;
}

static int add_link(const char *path, const char *target, link_fn fn)
{
	struct vnode *n = NULL;
	int err = add(path, S_IFLNK | 0777, &n);

	if (!n)
		return err;
	if (fn) {
		n->ops = &link_ops;
		n->priv = (void *)fn;
	} else {
		n->ro = (const u8 *)target;
		n->size = strlen(target);
	}
	vn_put(n);
	return 0;
}

static const struct {
	const char *path;
	gen_fn fn;
} generated[] = {
	{ "/proc/1/maps", gen_maps },	    { "/proc/1/status", gen_status },
	{ "/proc/1/stat", gen_stat },	    { "/proc/1/cmdline", gen_cmdline },
	{ "/proc/1/environ", gen_environ }, { "/proc/1/mounts", gen_mounts },
	{ "/proc/meminfo", gen_meminfo },   { "/proc/cpuinfo", gen_cpuinfo },
	{ "/proc/uptime", gen_uptime },	    { "/proc/stat", gen_sys_stat },
	{ "/proc/loadavg", gen_loadavg },   { "/proc/sys/kernel/random/uuid", gen_uuid },
};

static const struct {
	const char *path, *text;
} texts[] = {
	{ "/proc/version", "Linux version 6.1.0-unik (unik runtime " UNIK_RUNTIME_VERSION ")\n" },
	{ "/proc/filesystems", "nodev\ttmpfs\nnodev\tproc\nnodev\tsysfs\n" },
	{ "/proc/sys/kernel/hostname", "unik\n" },
	{ "/proc/sys/kernel/osrelease", "6.1.0-unik\n" },
	{ "/proc/sys/kernel/ostype", "Linux\n" },
	{ "/proc/sys/kernel/pid_max", "32768\n" },
	{ "/proc/sys/kernel/ngroups_max", "256\n" },
	{ "/proc/sys/net/core/somaxconn", "4096\n" },
	{ "/proc/sys/vm/overcommit_memory", "1\n" },
	{ "/proc/sys/fs/file-max", "1024\n" },
	{ "/proc/sys/fs/nr_open", "1024\n" },
	{ "/sys/devices/system/cpu/online", "0\n" },
	{ "/sys/devices/system/cpu/possible", "0\n" },
	{ "/sys/devices/system/cpu/present", "0\n" },
};

/* Makes the tree; the folders made on the way are read-only too. */
static int populate(void)
{
	struct vnode *fd;
	int err = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(generated) && !err; i++)
		err = add_gen(generated[i].path, generated[i].fn);
	for (unsigned i = 0; i < ARRAY_SIZE(texts) && !err; i++)
		err = add_text(texts[i].path, texts[i].text);
	err = err ?: add_link("/proc/self", "1", NULL);
	err = err ?: add_link("/proc/thread-self", "1", NULL);
	err = err ?: add_link("/proc/mounts", "self/mounts", NULL);
	err = err ?: add_link("/proc/1/root", "/", NULL);
	err = err ?: add_link("/proc/1/exe", NULL, link_exe);
	err = err ?: add_link("/proc/1/cwd", NULL, link_cwd);
	if (err)
		return err;
	fd = NULL;
	err = add("/proc/1/fd", S_IFDIR | 0500, &fd);
	if (fd) {
		fd->ops = &fd_dir_ops;
		vn_put(fd);
	}
	for (const char *const *p = (const char *const[]){ "/proc", "/sys", NULL }; *p; p++) {
		struct vnode *d = vfs_lookup(*p);

		if (d)
			vfs_mark_readonly(d);
		vn_put(d);
	}
	return err;
}

/* Most programs never look in /proc or /sys: both are empty read-only
 * folders at boot whose entries are made the first time either is looked
 * in or listed (some 60,000 instructions saved at every boot). */
static struct vnode *lazy_dirs[2];

static void populate_now(void)
{
	bool counting = vfs_counting();

	if (!lazy_dirs[0])
		return;
	for (int i = 0; i < 2; i++) {
		lazy_dirs[i]->ops = NULL;
		lazy_dirs[i]->flags &= (u16)~VN_RO;
	}
	vfs_charging(false); /* the runtime's own files are not the program's overlay */
	if (populate())
		kprintf("unikernel: /proc and /sys are incomplete: out of memory\n");
	vfs_charging(counting);
	for (int i = 0; i < 2; i++) {
		vfs_mark_readonly(lazy_dirs[i]);
		vn_put(lazy_dirs[i]);
		lazy_dirs[i] = NULL;
	}
}

static struct vnode *lazy_lookup(struct vnode *dir, const char *name)
{
	populate_now();
	return vfs_child(dir, name);
}

static struct vnode *lazy_next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	populate_now();
	return vfs_dir_next(dir, pos, name, size);
}

static const struct vnode_ops lazy_ops = { .lookup = lazy_lookup, .next = lazy_next };

int proc_init(void)
{
	static const char *const names[2] = { "proc", "sys" }, *const paths[2] = { "/proc",
										   "/sys" };
	struct vnode *d;

	/* An image that packs its own /proc or /sys gets the tree added to it now. */
	for (int i = 0; i < 2; i++) {
		d = vfs_lookup(paths[i]);
		if (d) {
			vn_put(d);
			return populate();
		}
	}
	for (int i = 0; i < 2; i++) {
		if (vfs_create(vfs_root(), names[i], S_IFDIR | 0755, &lazy_dirs[i]))
			return -ENOMEM;
		lazy_dirs[i]->ops = &lazy_ops;
		lazy_dirs[i]->flags |= VN_RO;
	}
	return 0;
}

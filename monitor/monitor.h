/* monitor.h - what bin/unik-hvt and bin/unik-spt share: their command line,
 * loading a unik image into guest memory, guest address checks, the
 * seccomp filters and dropping privileges.
 *
 * Conventions: functions return 0 or -1 after printing nothing; the reason
 * goes into a caller's `char *why` buffer of MON_WHY bytes.  Only main()
 * prints and exits.
 */
#ifndef UNIK_MONITOR_H
#define UNIK_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "../abi/hvt_abi.h"

#define MON_WHY 256
#define MON_DEFAULT_MEM_MB 32
/* The monitor's own failures (and a guest it had to stop) exit with this,
 * and the status file then says MON_ERROR_KEY "<reason>" instead of a
 * number: a guest's own status 255 is not mistaken for a failure. */
#define MON_EXIT_FAILURE 255
#define MON_ERROR_KEY "monitor-error: "

/* Overflow-safe: true when [gpa, gpa + len) lies inside [0, mem_size). */
static inline int mon_gpa_ok(uint64_t mem_size, uint64_t gpa, uint64_t len)
{
	return gpa <= mem_size && len <= mem_size - gpa;
}

struct mon_opts {
	const char *prog; /* "unik-hvt" or "unik-spt", for messages */
	const char *image; /* path of the unik-elf image */
	uint64_t mem_size; /* bytes */
	const char *user; /* drop privileges to this user, or NULL */
	const char *status_file; /* gets "<status>\n" at exit, or NULL */
	int debug_forbidden_syscall; /* make a forbidden call after the filter (tests) */
	int console_in; /* --stdin: our stdin is the guest's console input */
	const char *net_tap; /* --net-tap NAME, or NULL */
	int net_fd; /* --net-fd N (an open tap), or -1 */
	uint8_t net_mac[6]; /* --net-mac */
	int has_mac;
	/* --block PATH[:ro], in order: the guest's disks 0, 1, ... */
	const char *block_path[HVT_MAX_DISKS];
	int block_ro[HVT_MAX_DISKS];
	int nblocks;
	char block_buf[HVT_MAX_DISKS][4096]; /* the paths without ":ro" */
	char cmdline[HVT_CMDLINE_MAX]; /* the guest's boot command line */
};

/* Parses argv: [options] IMAGE [--] [WORDS...]; WORDS joined by spaces
 * become the boot command line.  Returns 0, 1 when --help was printed, or
 * -1 with why. */
int mon_opts_parse(struct mon_opts *o, int argc, char **argv, char *why);
/* Prints the usage of o->prog to stdout. */
void mon_usage(const char *prog);

/* The network backend (net_tap.c): a tap device. */
struct mon_net {
	int fd; /* the tap, non-blocking and close-on-exec; -1: no network */
	uint8_t mac[6]; /* the guest's MAC address */
	uint16_t mtu; /* 1500, or 0 without a network */
};
/* Opens the tap of --net-tap NAME or checks the one of --net-fd N (it must
 * be a tap with IFF_NO_PI) and picks the MAC (--net-mac, else a random
 * locally administered one).  Without either option n->fd = -1 and 0 is
 * returned.  0, or -1 with why. */
int mon_net_open(const struct mon_opts *o, struct mon_net *n, char *why);
/* Parses "xx:xx:xx:xx:xx:xx" (a unicast address) into mac; 0 or -1. */
int mon_parse_mac(const char *s, uint8_t mac[6]);

/* The disks (block.c): the files of --block, open for the guest. */
struct mon_disk {
	int fd; /* close-on-exec; read-only for a read-only disk */
	int ro;
	uint64_t size; /* bytes, rounded down to HVT_SECTOR_SIZE */
};
/* Opens every --block file (a regular file or a block device), rounds its
 * size down to whole sectors and locks it (flock: shared for read-only,
 * exclusive for read-write, so two monitors never write one disk).  0, or
 * -1 with why naming the file. */
int mon_disks_open(const struct mon_opts *o, struct mon_disk *d, char *why);

#define MON_RO_MAX 4
/* What the image's ELF notes and program headers say. */
struct mon_image {
	uint64_t image_end; /* first byte above the loaded segments */
	uint64_t abi_version;
	uint64_t hvt_entry, spt_entry, spt_signal, spt_restorer; /* 0 if absent */
	uint64_t hvt_prepare; /* gpa of the struct hvt_prepare (hvt), 0 if absent */
	uint64_t hvt_program; /* gpa of the struct hvt_program (hvt), 0 if absent */
	uint64_t text_start, text_end; /* the runtime's executable segment */
	uint64_t rt_start, rt_end; /* the runtime's own segments (below 2 MiB) */
	/* Where the text segment lies in the file (page-aligned, its whole
	 * pages), and the file's identity: a monitor may map those pages from
	 * the file instead, shared with every instance of the image
	 * (mon_image_share_text).  text_file_len 0: not possible. */
	uint64_t text_file_off, text_file_len;
	/* Every read-only segment (the text, the program's payload) whose
	 * start is page-aligned in the file and in memory: the whole pages
	 * (mon_image_share_ro). */
	struct mon_ro_seg {
		uint64_t gpa, file_off, len;
	} ro[MON_RO_MAX];
	int nro;
	uint64_t file_dev, file_ino, file_size;
};

/* Reads the ELF file at `path` and loads its PT_LOAD segments at their
 * physical addresses into mem[0, mem_size) (which must be zeroed), checking
 * every offset and size.  Fills `img` from the notes.  0, or -1 with why. */
int mon_image_load(const char *path, uint8_t *mem, uint64_t mem_size, struct mon_image *img,
		   char *why);

/* Maps the whole pages of the runtime's text, [text_start, +text_file_len),
 * from the image file at `at` (MAP_PRIVATE | `fixed`: MAP_FIXED or
 * MAP_FIXED_NOREPLACE, `prot`): the page
 * cache's pages, shared by every instance of the image, instead of the copy
 * in guest memory.  The file must still be the one loaded (device, inode,
 * size).  The length mapped (0: nothing, the caller keeps its copy). */
uint64_t mon_image_share_text(const char *path, const struct mon_image *img, void *at, int prot,
			      int fixed);

/* hvt: maps the whole pages of every read-only segment (img->ro) from the
 * image file over guest memory at mem + gpa, copy-on-write (MAP_PRIVATE |
 * MAP_FIXED, read-write: a guest write gets a private copy): the page
 * cache's pages, shared by every instance of the image, replacing the
 * loaded copy and the memory it held.  The file must still be the one
 * loaded.  The bytes mapped (0: nothing, the copies stay). */
uint64_t mon_image_share_ro(const char *path, const struct mon_image *img, uint8_t *mem);

/* Writes the boot info and the command line into guest memory (offsets
 * HVT_BOOT_INFO_GPA, HVT_CMDLINE_GPA).  Returns the boot info for the caller
 * to complete. */
struct hvt_boot_info *mon_boot_info(uint8_t *mem, uint64_t mem_size, uint64_t image_end,
				    const char *cmdline);
/* Writes the host's wall-clock and monotonic time into the boot info
 * (mon_boot_info does; hvt again just before the guest runs). */
void mon_boot_clocks(struct hvt_boot_info *bi);

/* Looks up `user` now (before any filter); 0, or -1 with why. */
int mon_user_lookup(const char *user, unsigned *uid, unsigned *gid, char *why);
/* Drops supplementary groups, then gid and uid; for a user other than root
 * also every capability (bounding, ambient, and checks that none is left
 * effective or permitted).  0, or -1 with why. */
int mon_drop_privileges(unsigned uid, unsigned gid, char *why);

/* The seccomp filters (seccomp.c), loaded with no_new_privs; after them the
 * process is killed by any other system call.  0, or -1 with why. */
struct mon_hvt_filter {
	int vcpu_fd; /* ioctl: KVM_RUN and register reads on this fd only */
	int status_fd; /* write: stdout, stderr and this fd (-1: none) */
	int net_fd; /* read and write: the tap (-1: none) */
	const struct mon_disk *disks; /* pread64 on each; pwrite64 and */
	int ndisks; /* fdatasync on each read-write one */
	int console_in_fd; /* read: console input (-1: none) */
};
int mon_seccomp_hvt(const struct mon_hvt_filter *f, char *why);
struct mon_spt_filter {
	int console_fd, status_fd; /* write: these and stderr */
	int mem_fd; /* mmap: only of guest memory */
	int net_fd; /* read and write: the tap (-1: none) */
	const struct mon_disk *disks; /* as for hvt: the runtime's own calls */
	int ndisks;
	int console_in_fd; /* read: console input (-1: none) */
};
int mon_seccomp_spt(const struct mon_spt_filter *f, char *why);
/* Makes a system call no filter allows (the --debug-forbidden-syscall
 * switch); returns only if the filter is missing. */
void mon_forbidden_syscall(void);

/* Gives the heap's free pages back to the kernel (glibc keeps up to 128 KB
 * of freed memory, e.g. the setup's buffers): called after the setup and
 * before the filter, which forbids brk and madvise.  Otherwise every idle
 * monitor would keep them. */
static inline void mon_trim_heap(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Opens (creates, truncates) the status file; 0, or -1 with why. */
int mon_open_status_file(const char *path, int *fd, char *why);
/* Writes "<status>\n" to fd (if >= 0) and exits with status. */
void mon_exit(int status_fd, int status) __attribute__((noreturn));
/* The monitor failed: "<prog>: <why>" on stderr, MON_ERROR_KEY "<why>" to
 * the status fd (if >= 0), exit MON_EXIT_FAILURE. */
void mon_fail(const char *prog, int status_fd, const char *why) __attribute__((noreturn));

#endif

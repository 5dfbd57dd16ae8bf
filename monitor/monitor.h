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

#include "../abi/hvt_abi.h"

#define MON_WHY 256
#define MON_DEFAULT_MEM_MB 32
/* The monitor's own failures (and a guest it had to stop) exit with this. */
#define MON_EXIT_FAILURE 255

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
	char cmdline[HVT_CMDLINE_MAX]; /* the guest's boot command line */
};

/* Parses argv: [options] IMAGE [--] [WORDS...]; WORDS joined by spaces
 * become the boot command line.  Returns 0, 1 when --help was printed, or
 * -1 with why. */
int mon_opts_parse(struct mon_opts *o, int argc, char **argv, char *why);
/* Prints the usage of o->prog to stdout. */
void mon_usage(const char *prog);

/* What the image's ELF notes and program headers say. */
struct mon_image {
	uint64_t image_end; /* first byte above the loaded segments */
	uint64_t abi_version;
	uint64_t hvt_entry, spt_entry, spt_signal, spt_restorer; /* 0 if absent */
	uint64_t text_start, text_end; /* the runtime's executable segment */
	uint64_t rt_start, rt_end; /* the runtime's own segments (below 2 MiB) */
};

/* Reads the ELF file at `path` and loads its PT_LOAD segments at their
 * physical addresses into mem[0, mem_size) (which must be zeroed), checking
 * every offset and size.  Fills `img` from the notes.  0, or -1 with why. */
int mon_image_load(const char *path, uint8_t *mem, uint64_t mem_size, struct mon_image *img,
		   char *why);

/* Writes the boot info and the command line into guest memory (offsets
 * HVT_BOOT_INFO_GPA, HVT_CMDLINE_GPA).  Returns the boot info for the caller
 * to complete. */
struct hvt_boot_info *mon_boot_info(uint8_t *mem, uint64_t mem_size, uint64_t image_end,
				    const char *cmdline);

/* Looks up `user` now (before any filter); 0, or -1 with why. */
int mon_user_lookup(const char *user, unsigned *uid, unsigned *gid, char *why);
/* Drops supplementary groups, then gid and uid; 0, or -1 with why. */
int mon_drop_privileges(unsigned uid, unsigned gid, char *why);

/* The seccomp filters (seccomp.c), loaded with no_new_privs; after them the
 * process is killed by any other system call.  0, or -1 with why. */
struct mon_hvt_filter {
	int vcpu_fd; /* ioctl: KVM_RUN and register reads on this fd only */
	int status_fd; /* write: stdout, stderr and this fd (-1: none) */
};
int mon_seccomp_hvt(const struct mon_hvt_filter *f, char *why);
struct mon_spt_filter {
	int console_fd, status_fd; /* write: these and stderr */
	int mem_fd; /* mmap: only of guest memory */
};
int mon_seccomp_spt(const struct mon_spt_filter *f, char *why);
/* Makes a system call no filter allows (the --debug-forbidden-syscall
 * switch); returns only if the filter is missing. */
void mon_forbidden_syscall(void);

/* Writes "<status>\n" to fd (if >= 0) and exits with status. */
void mon_exit(int status_fd, int status) __attribute__((noreturn));

#endif

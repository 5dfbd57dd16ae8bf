/* tcg_icount.c - a QEMU TCG plugin that counts the guest instructions
 * executed, split by address half (below 0x8000_0000_0000_0000: user space
 * of a Linux guest, and all of a unik guest; above: the Linux kernel), into
 * a file that stays mapped: two little-endian uint64 at its start, readable
 * at any time.  Counts do not depend on the machine's load, times do:
 * scripts/bench-compat (BENCH_COMPAT_ICOUNT=1) divides them by the requests
 * of a round.  Built by the benchmark with `cc -shared -fPIC`; loaded with
 *   qemu-system-x86_64 -plugin PATH/tcg_icount.so,out=FILE
 * The few plugin API entry points it uses are declared here (QEMU installs
 * no header for them on Debian); API version 1 (QEMU 4.2 to 8.1). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op, void *ptr,
					      uint64_t imm);
int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv);

#define EXPORT __attribute__((visibility("default")))
#define INLINE_ADD_U64 0 /* enum qemu_plugin_op */
#define HIGH_HALF 0x8000000000000000ull

EXPORT int qemu_plugin_version = 1;
static uint64_t *counts; /* [0] low half, [1] high half */

/* Each block adds its instruction count when it runs (a block left early
 * by an exception still counts whole: a small overcount). */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64,
						 &counts[qemu_plugin_tb_vaddr(tb) >= HIGH_HALF],
						 qemu_plugin_tb_n_insns(tb));
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc,
			       char **argv)
{
	const char *path = NULL;
	void *map;
	int fd;

	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	if (!path)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	counts = map;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}

/* fuzz_hvt_calls.c - unik-hvt's call handlers (monitor/hvt_calls.c), with
 * guest memory as input.
 *
 * Input: [call number: 1 byte][flags: 1 byte][gpa: 4 bytes, little-endian]
 * and then the guest's memory.  The memory is copied into a heap block of
 * exactly that size (ASan guards its ends), so any access outside guest
 * memory is a crash.  The vCPU is not needed by the handlers; the console is
 * stdout (sent to /dev/null); flag bit 0 gives the guest a network device,
 * /dev/zero (always readable, takes any write).  ppoll() is wrapped
 * (-Wl,--wrap=ppoll) to return at once whatever timeout the guest asks for.
 * Promises checked:
 *   - each call continues, halts with a status in 0..255, or stops the guest
 *     with a reason;
 *   - nothing outside guest memory is read or written (ASan).
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "../../monitor/hvt.h"
#include "fuzz.h"

int __real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask);
int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask);

int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	static const struct timespec now = { 0, 0 };

	(void)ts;
	return __real_ppoll(fds, n, &now, mask);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		abort();
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int net_fd = -1;
	struct hvt h;
	enum hvt_result res;
	char why[MON_WHY];
	int status = -1;
	uint64_t gpa;

	if (size < 6)
		return 0;
	if (net_fd < 0) {
		net_fd = open("/dev/zero", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		FUZZ_CHECK(net_fd >= 0, "cannot open /dev/zero");
	}
	memset(&h, 0, sizeof(h));
	h.kvm_fd = h.vm_fd = h.vcpu_fd = -1;
	h.net_fd = data[1] & 1 ? net_fd : -1;
	gpa = (uint64_t)data[2] | (uint64_t)data[3] << 8 | (uint64_t)data[4] << 16 |
	      (uint64_t)data[5] << 24;
	h.mem_size = size - 6;
	h.mem = malloc(h.mem_size ? h.mem_size : 1);
	FUZZ_CHECK(h.mem, "out of memory");
	if (h.mem_size)
		memcpy(h.mem, data + 6, h.mem_size);
	why[0] = 0;
	/* the port range io_exit() lets through: HVT_PIO_BASE + 1..255 */
	res = hvt_call(&h, data[0] ? data[0] : 1, gpa, &status, why);
	switch (res) {
	case HVT_CONTINUE: break;
	case HVT_HALTED:
		FUZZ_CHECK(status >= 0 && status <= 255, "halted with status %d", status);
		break;
	case HVT_STOPPED:
		FUZZ_CHECK(why[0] && memchr(why, 0, sizeof(why)), "stopped without a reason");
		break;
	default: FUZZ_CHECK(0, "call returned %d", (int)res);
	}
	free(h.mem);
	return 0;
}

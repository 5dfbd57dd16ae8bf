/* accel.c - which qemu binary, and KVM or TCG. */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/run.h"

char *qemu_binary(const struct unik_config *cfg, struct unik_err *err)
{
	const char *name = cfg ? unik_config_get(cfg, "qemu.binary", NULL) : NULL;
	char *path;

	if (!name)
		name = "qemu-system-x86_64";
	path = run_which(name);
	if (!path)
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "%s not found (apt-get install qemu-system-x86, or set qemu.binary)",
			     name);
	return path;
}

/* 1 if /proc/cpuinfo lists vmx or svm among the CPU flags. */
static int cpu_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
	}
	fclose(f);
	return found;
}

int qemu_kvm_usable(char *why, size_t len)
{
	int fd;

	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(why, len, "KVM is the software-nested kvm_pvm module");
		return 0;
	}
	if (!cpu_has_hw_virt()) {
		snprintf(why, len, "the CPU shows no vmx/svm");
		return 0;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot open /dev/kvm: %s", strerror(errno));
		return 0;
	}
	close(fd);
	if (len)
		why[0] = '\0';
	return 1;
}

int qemu_accel_choose(const struct unik_run_spec *spec, const char **accel, char *why, size_t len,
		      struct unik_err *err)
{
	const char *want = spec->accel;
	char reason[160];
	int fd;

	if (!want || !*want)
		want = spec->cfg ? unik_config_get(spec->cfg, "qemu.accel", "auto") : "auto";
	if (len)
		why[0] = '\0';
	if (!strcmp(want, "tcg")) {
		*accel = "tcg";
		return 0;
	}
	if (!strcmp(want, "kvm")) {
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "accel kvm: cannot open /dev/kvm: %s", strerror(errno));
		close(fd);
		*accel = "kvm";
		return 0;
	}
	if (strcmp(want, "auto"))
		return unik_err_set(err, UNIK_E_INVALID, "accel must be auto, kvm or tcg, not '%s'",
				    want);
	if (qemu_kvm_usable(reason, sizeof(reason))) {
		*accel = "kvm";
		return 0;
	}
	*accel = "tcg";
	snprintf(why, len, "tcg because %s", reason);
	return 0;
}

/* accel.c - KVM or TCG (see accel.h). */
#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int accel_kvm_usable(char *why, size_t len)
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

int accel_choose(const char *want, const char **accel, char *why, size_t len, struct unik_err *err)
{
	char reason[160];
	int fd;

	if (!want || !*want)
		want = "auto";
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
	if (accel_kvm_usable(reason, sizeof(reason))) {
		*accel = "kvm";
		return 0;
	}
	*accel = "tcg";
	snprintf(why, len, "tcg because %s", reason);
	return 0;
}

const char *accel_wanted(const struct unik_run_spec *spec, const char *key)
{
	if (spec->accel && *spec->accel)
		return spec->accel;
	return spec->cfg && key ? unik_config_get(spec->cfg, key, "auto") : "auto";
}

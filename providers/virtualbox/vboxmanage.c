/* vboxmanage.c - VBoxManage command lines (VirtualBox's manual, chapter
 * "VBoxManage": createvm, modifyvm, storagectl, storageattach) for an
 * instance's VM, and running the tool (see virtualbox.h).  Every value put
 * on a command line is checked first; VBoxManage gets them as separate
 * arguments (no shell). */
#include "virtualbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/xalloc.h"
#include "../common/tool.h"

const char *vbox_manage(const struct unik_config *cfg)
{
	return unik_config_get(cfg, "virtualbox.vboxmanage", "VBoxManage");
}

int vbox_run(const struct unik_config *cfg, const char *const *args, int timeout_s,
	     struct strbuf *out, struct unik_err *err)
{
	const char *argv[TOOL_ARGS_MAX + 2];
	int n = 0;

	argv[n++] = vbox_manage(cfg);
	for (int i = 0; args[i] && n < TOOL_ARGS_MAX + 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return tool_run("virtualbox", "VirtualBox; the key virtualbox.vboxmanage names it", argv,
			timeout_s, out, err);
}

void vbox_files(const struct unik_run_spec *spec, struct vbox_files *f)
{
	snprintf(f->boot_raw, sizeof(f->boot_raw), "%s/boot.raw", spec->dir);
	snprintf(f->boot_vdi, sizeof(f->boot_vdi), "%s/boot.vdi", spec->dir);
	snprintf(f->status, sizeof(f->status), "%s/status", spec->dir);
	for (size_t i = 0; i < VBOX_MAX_VOLUMES; i++)
		snprintf(f->vol[i], sizeof(f->vol[i]), "%s/volume%zu.vmdk", spec->dir, i);
}

/* A path VirtualBox gets as one argument: absolute, printable. */
static int path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* "02:ab:..." -> "02AB...", VirtualBox's --macaddress form. */
static int mac_word(const char *mac, char out[13])
{
	int k = 0;

	for (const char *p = mac; p && *p && k < 12; p++) {
		if (*p == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p))
			return 0;
		out[k++] = (char)(*p >= 'a' ? *p - 32 : *p);
	}
	out[k] = 0;
	return k == 12 && strlen(mac) == 17;
}

static int iface_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 15)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *s))
			return 0;
	return 1;
}

static struct strv *next_call(struct vbox_calls *c)
{
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	strv_init(&c->v[c->n]);
	return &c->v[c->n++];
}

static void push_all(struct strv *v, const char *const *words)
{
	for (; *words; words++)
		strv_push(v, *words);
}

void vbox_calls_free(struct vbox_calls *calls)
{
	for (size_t i = 0; i < calls->n; i++)
		strv_release(&calls->v[i]);
	free(calls->v);
	calls->v = NULL;
	calls->n = 0;
}

int vbox_setup_calls(const struct unik_run_spec *spec, const char *name, const struct vbox_files *f,
		     struct vbox_calls *calls, struct unik_err *err)
{
	const struct unik_net_spec *net = spec->net;
	struct strv *v;
	char num[32], mac[13];

	if (!path_ok(spec->dir) || !path_ok(spec->log_path) || !path_ok(f->boot_vdi))
		return unik_err_set(err, UNIK_E_INVALID,
				    "virtualbox: the instance's paths cannot go to VBoxManage");
	if (spec->n_volumes > VBOX_MAX_VOLUMES)
		return unik_err_set(err, UNIK_E_INVALID,
				    "virtualbox: at most %d volumes per instance",
				    VBOX_MAX_VOLUMES);

	v = next_call(calls);
	push_all(v, (const char *const[]){ "createvm", "--name", name, "--ostype", "Other_64",
					   "--basefolder", spec->dir, "--register", NULL });

	v = next_call(calls);
	push_all(v, (const char *const[]){ "modifyvm", name, "--memory", NULL });
	snprintf(num, sizeof(num), "%d", spec->memory_mb);
	strv_push(v, num);
	push_all(v, (const char *const[]){
			"--cpus",     "1",	     "--ioapic", "on",		 "--acpi",  "on",
			"--firmware", "bios",	     "--boot1",	 "disk",	 "--boot2", "none",
			"--boot3",    "none",	     "--boot4",	 "none",	 "--uart1", "0x3F8",
			"4",	      "--uartmode1", "file",	 spec->log_path, "--uart2", "0x2F8",
			"3",	      "--uartmode2", "file",	 f->status,	 NULL });
	if (!net || net->mode == UNIK_NET_NONE) {
		push_all(v, (const char *const[]){ "--nic1", "none", NULL });
	} else if (net->mode == UNIK_NET_BRIDGE) {
		if (!iface_ok(net->bridge) || !mac_word(net->mac, mac))
			return unik_err_set(err, UNIK_E_INVALID,
					    "virtualbox: the bridge '%s' or MAC '%s' cannot go to "
					    "VBoxManage",
					    net->bridge ? net->bridge : "",
					    net->mac ? net->mac : "");
		push_all(v, (const char *const[]){
				"--nic1", "bridged", "--bridgeadapter1", net->bridge, "--nictype1",
				"82540EM", "--macaddress1", mac, "--cableconnected1", "on", NULL });
	} else {
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "virtualbox: the guest can only be bridged to the daemon's "
				    "bridge");
	}

	v = next_call(calls);
	snprintf(num, sizeof(num), "%zu", 1 + spec->n_volumes);
	push_all(v, (const char *const[]){ "storagectl", name, "--name", "SATA", "--add", "sata",
					   "--controller", "IntelAhci", "--portcount", num,
					   "--bootable", "on", NULL });

	v = next_call(calls);
	push_all(v, (const char *const[]){ "storageattach", name, "--storagectl", "SATA", "--port",
					   "0", "--device", "0", "--type", "hdd", "--medium",
					   f->boot_vdi, NULL });
	for (size_t i = 0; i < spec->n_volumes; i++) {
		v = next_call(calls);
		snprintf(num, sizeof(num), "%zu", i + 1);
		push_all(v, (const char *const[]){ "storageattach", name, "--storagectl", "SATA",
						   "--port", num, "--device", "0", "--type", "hdd",
						   "--medium", f->vol[i], NULL });
		/* a read-only volume: writes go to a differencing image that is
		 * thrown away (the master never changes; the guest mounts it ro) */
		if (spec->volumes[i].read_only)
			push_all(v, (const char *const[]){ "--mtype", "immutable", NULL });
	}
	return 0;
}

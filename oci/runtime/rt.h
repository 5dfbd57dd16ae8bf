/* rt.h - unik-runtime, an OCI runtime with runc's command line
 * (docs/oci-runtime.md).  A bundle whose rootfs holds a unik image runs as
 * one monitor process (unik-spt or unik-hvt); any other bundle is handed to
 * runc unchanged.
 *
 * State: <root>/<id>/ with unik.json (our record, written atomically) and,
 * between create and start, exec.fifo (the created process blocks opening
 * it for writing; start opens it for reading and releases it).  A folder
 * <root>/<id> without unik.json is runc's.
 */
#ifndef UNIK_OCI_RT_H
#define UNIK_OCI_RT_H

#include <stddef.h>
#include <sys/types.h>

#include "../../lib/config.h"
#include "../../lib/error.h"
#include "../../lib/strv.h"

#define RT_DEFAULT_ROOT "/run/unik-runtime"
#define RT_DEFAULT_CONFIG "/etc/unik/runtime.conf"
#define RT_STATE_FILE "unik.json"
#define RT_FIFO "exec.fifo"
#define RT_OCI_VERSION "1.0.2"
#define RT_CONFIG_MAX (4 << 20) /* config.json: bytes */
#define RT_IMAGE_JSON_MAX (64 << 10) /* /unik/image.json: bytes */
#define RT_MAX_HOOKS 32 /* per kind */
#define RT_DEFAULT_MEM_MB 64
#define RT_ID_MAX 128

/* The global flags and the configuration. */
struct rt_ctx {
	const char *root; /* --root */
	const char *log_path; /* --log */
	int log_json; /* --log-format json */
	struct unik_config cfg; /* UNIK_RUNTIME_CONFIG or RT_DEFAULT_CONFIG */
	char **argv; /* the whole command line, for runc */
	int argc;
};

struct rt_hook {
	char *path;
	struct strv args;
	struct strv env;
	int timeout_s; /* 0: none */
};

enum rt_hook_kind { RT_HOOK_PRESTART, RT_HOOK_CREATE_RUNTIME, RT_HOOK_POSTSTART, RT_HOOK_POSTSTOP };
#define RT_HOOK_KINDS 4

/* What unik-runtime uses of a bundle's config.json. */
struct rt_bundle {
	char *bundle; /* absolute */
	char *rootfs; /* absolute */
	struct strv args; /* process.args */
	struct strv env; /* process.env */
	int terminal; /* process.terminal */
	long long mem_limit; /* linux.resources.memory.limit, 0 when none */
	int netns; /* 0 none asked, 1 a new one, 2 join netns_path */
	char *netns_path;
	char *resolv_conf; /* the source of the mount at /etc/resolv.conf */
	struct strv ann_keys, ann_values; /* annotations */
	struct rt_hook *hooks[RT_HOOK_KINDS];
	size_t n_hooks[RT_HOOK_KINDS];
};

/* The network handed to the guest (net.c). */
struct rt_net {
	char iface[32], tap[32], mac[24], addr[64], gateway[64], dns[64];
	int prefix, mtu;
};

/* The unik image found in a rootfs. */
struct rt_image {
	char *dir; /* its folder inside the rootfs ("unik") */
	char *format;
	char *kernel; /* a file name in dir */
	struct strv args; /* the default arguments */
	int memory_mb; /* 0 when the image names none */
	char *provider; /* NULL when the image names none */
};

/* Our record of a container (unik.json). */
struct rt_state {
	char *id;
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *provider;
	pid_t pid; /* 0 until the process exists */
	unsigned long long start_time; /* /proc/<pid>/stat field 22 */
	int started; /* start released the process */
	struct strv ann_keys, ann_values;
};

enum rt_status { RT_CREATING, RT_CREATED, RT_RUNNING, RT_STOPPED };

/* log.c */
void rt_log_setup(struct rt_ctx *ctx);
void rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_now_rfc3339(char *out, size_t n);

/* bundle.c */
int rt_bundle_load(const char *bundle_dir, struct rt_bundle *b, struct unik_err *err);
/* The same for the text of a config.json (bundle: the bundle's absolute path). */
int rt_bundle_parse(const char *text, size_t len, const char *bundle, struct rt_bundle *b,
		    struct unik_err *err);
void rt_bundle_release(struct rt_bundle *b);
const char *rt_annotation(const struct strv *keys, const struct strv *values, const char *key);

/* image.c: 1 and *img when the rootfs holds a unik image, 0 when it holds
 * none (a plain container: runc's), -1 with err when it holds a bad one. */
int rt_image_find(const struct rt_bundle *b, struct rt_image *img, int *rootfd,
		  struct unik_err *err);
void rt_image_release(struct rt_image *img);
/* Parses the text of an image.json into img (whose dir names it in errors;
 * "unik" when NULL); -1 with err (UNIK_E_INVALID). */
int rt_image_parse(const char *text, size_t len, struct rt_image *img, struct unik_err *err);

/* state.c */
int rt_id_ok(const char *id, struct unik_err *err);
char *rt_state_dir(const struct rt_ctx *ctx, const char *id);
/* 1 with *st when <root>/<id>/unik.json exists, 0 when it does not. */
int rt_state_load(const struct rt_ctx *ctx, const char *id, struct rt_state *st,
		  struct unik_err *err);
int rt_state_save(const struct rt_ctx *ctx, const struct rt_state *st, struct unik_err *err);
void rt_state_release(struct rt_state *st);
enum rt_status rt_status_of(const struct rt_ctx *ctx, const struct rt_state *st);
const char *rt_status_name(enum rt_status s);
/* Field 22 of /proc/<pid>/stat, 0 when the process is gone; *zombie set. */
unsigned long long rt_proc_start_time(pid_t pid, int *zombie);
/* The state JSON of the runtime spec (what `state` prints, what hooks read). */
char *rt_state_json(const struct rt_ctx *ctx, const struct rt_state *st, int indent);

/* hooks.c: runs the hooks of `kind` with the state on stdin; -1 with err
 * at the first that fails. */
int rt_hooks_run(const struct rt_bundle *b, enum rt_hook_kind kind, const char *state_json,
		 struct unik_err *err);

/* monitor.c: the monitor's argv for img of bundle b (the kernel as
 * /proc/self/fd/<kernel_fd>); net NULL or without a tap: no network. */
int rt_monitor_argv(const struct rt_ctx *ctx, const struct rt_bundle *b, const struct rt_image *img,
		    const char *provider, int kernel_fd, const struct rt_net *net,
		    struct strv *argv, struct unik_err *err);

/* qemu.c: QEMU's argv (for rt_monitor_argv); the supervisor that runs
 * it in the state folder and exits with the program's status. */
int rt_qemu_argv(const struct rt_ctx *ctx, int mb, int kernel_fd, const char *words,
		 const struct rt_net *net, const char *user, struct strv *argv,
		 struct unik_err *err);
void rt_qemu_supervise(const char *state_dir, char **argv) __attribute__((noreturn));

/* net.c: in the container's network namespace, 1 with *net when an
 * interface's address went to a new tap, 0 when there is none to take (or
 * the network is off), -1 with why. */
int rt_net_setup(const struct rt_ctx *ctx, const struct rt_bundle *b, struct rt_net *net, char *why,
		 size_t n);
const char *rt_provider_of(const struct rt_ctx *ctx, const struct rt_bundle *b,
			   const struct rt_image *img);

/* create.c */
int rt_cmd_create(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_start(struct rt_ctx *ctx, int argc, char **argv);

/* cmds.c */
int rt_cmd_state(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_kill(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_delete(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_ps(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_features(struct rt_ctx *ctx, int argc, char **argv);
int rt_cmd_list(struct rt_ctx *ctx, int argc, char **argv);

/* main.c: execs runc with the original command line; returns only on
 * failure (127). */
int rt_exec_runc(const struct rt_ctx *ctx);
/* The container id: the one operand left after the command's flags. */
const char *rt_operand_id(int argc, char **argv, int first);

#endif

/* types.h - the objects of the REST API and their JSON codecs, shared by
 * the CLI (cmd/) and the daemon (daemon/).  api/openapi.yaml is the
 * contract; these structs mirror its schemas.
 *
 * Ownership: every struct owns its strings.  X_init() allocates nothing,
 * X_release() frees the contents.  X_to_json() returns a NEW jansson
 * reference.  X_from_json() borrows `j` and fills `out` (which must be
 * initialised); on error it returns -1 with `err` set and `out` holding
 * whatever was decoded so far (release it either way).
 */
#ifndef UNIK_API_TYPES_H
#define UNIK_API_TYPES_H

#include <jansson.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/strv.h"
#include "volumes.h"

#define UNIK_ID_LEN 64 /* hex characters of an object id */
#define UNIK_SHORT_ID_LEN 12
#define UNIK_NAME_MAX 64

/* A second build of an image's sources by another compiler, made for the
 * machines the image's own build does not run on (a provider's
 * companion_compiler, providers/provider.h; unik build --provider).
 * compiler NULL: the image has none. */
struct unik_companion {
	char *compiler;
	char *format;
	char *kernel; /* blob digest */
	char *initrd; /* blob digest or NULL */
	int memory_mb;
};

struct unik_image {
	char *id;
	char *name; /* NULL when the name moved to a newer image */
	char *compiler;
	char *format; /* artifact layout, e.g. "linux-initrd" */
	int64_t size; /* bytes of all artifacts */
	char *digest; /* "sha256:<hex>" of the manifest */
	int64_t created; /* unix seconds */
	int memory_mb; /* default guest memory */
	struct strv args; /* default arguments */
	char *kernel; /* blob digest ("sha256:<hex>") or NULL */
	char *initrd; /* blob digest or NULL */
	struct strv stagings; /* the disk formats staged for it (unik export) */
	struct strv published; /* the providers holding a copy of it (an AWS AMI) */
	struct strv labels; /* "K=V" (unik build --label; api/labels.h) */
	struct unik_companion companion;
};

enum unik_state {
	UNIK_STATE_CREATED = 0,
	UNIK_STATE_STARTING, /* recorded before its VM process exists (crash safety) */
	UNIK_STATE_RUNNING,
	UNIK_STATE_STOPPING,
	UNIK_STATE_EXITED,
};

/* summoning (api/summon.h): the VM boots on the first connection */
struct unik_summon {
	int enabled;
	long long idle_timeout_ms; /* 0: never stopped for idleness */
	int max; /* instances of the pool */
	/* a pool's other members: the id of the instance that publishes the
	 * pool's ports (the daemon's, never a request's); "" otherwise */
	char pool[65];
};

struct unik_instance {
	char *id;
	char *name;
	char *image; /* image id */
	char *image_name; /* image name when the instance was made */
	char *provider;
	char *accel; /* auto|kvm|tcg as asked; provider may record what it used */
	enum unik_state state;
	int exit_code; /* -1 while unknown */
	char *address; /* NULL until networking assigns one */
	int64_t created;
	int64_t started; /* 0 if never */
	int64_t finished; /* 0 if not exited */
	int memory_mb;
	struct strv args;
	struct strv env;
	struct strv ports; /* published ports, "IP:HOST:GUEST/tcp" */
	int pid; /* host process of the VM, 0 if none */
	char *message; /* why it exited, when known (e.g. "killed", "boot failed") */
	int trace; /* the runtime prints every system call (unik.strace) */
	int verbose; /* the runtime prints its boot lines (unik.verbose) */
	struct unik_mount *volumes; /* the volumes it mounts, in disk order */
	size_t n_volumes;
	/* restart policy (api/restart.h): canonical text, NULL for "no" */
	char *restart;
	int restart_count; /* restarts by the daemon so far */
	int restart_delay_ms; /* the backoff before the last restart (0: none yet) */
	int stopped_by_user; /* a stop or kill asked: no restart until it is started again */
	struct strv labels; /* "K=V" (unik run --label) */
	struct unik_summon summon;
	int open_stdin; /* unik run -i: the program's standard input is fed by POST .../stdin */
};

enum unik_job_state {
	UNIK_JOB_RUNNING = 0,
	UNIK_JOB_SUCCEEDED,
	UNIK_JOB_FAILED,
};

struct unik_job {
	char *id;
	char *kind; /* "build" */
	enum unik_job_state state;
	char *image; /* image id once succeeded */
	struct unik_err error;
	int64_t created;
	int64_t finished;
};

/* Body of POST /v1/instances. */
struct unik_run_request {
	char *image;
	char *name;
	char *provider;
	char *accel;
	int memory_mb; /* 0: the image's default */
	struct strv args;
	struct strv env;
	struct strv ports; /* "[IP:]HOST:GUEST[/tcp]" */
	int start; /* default 1; 0 creates without starting */
	int trace; /* unik run --trace: every system call on the console */
	int verbose; /* unik run --verbose: the runtime's boot lines on the console */
	struct strv volumes; /* "VOLUME:/PATH[:ro|:rw]", in disk order */
	char *restart; /* restart policy (api/restart.h), NULL: "no" */
	struct strv labels; /* "K=V" */
	struct unik_summon summon; /* unik run --summon */
	int open_stdin; /* "stdin": unik run -i (Docker's OpenStdin) */
};

void unik_image_init(struct unik_image *im);
void unik_image_release(struct unik_image *im);
json_t *unik_image_to_json(const struct unik_image *im);
int unik_image_from_json(json_t *j, struct unik_image *out, struct unik_err *err);

void unik_instance_init(struct unik_instance *in);
void unik_instance_release(struct unik_instance *in);
json_t *unik_instance_to_json(const struct unik_instance *in);
int unik_instance_from_json(json_t *j, struct unik_instance *out, struct unik_err *err);

void unik_job_init(struct unik_job *job);
void unik_job_release(struct unik_job *job);
json_t *unik_job_to_json(const struct unik_job *job);
int unik_job_from_json(json_t *j, struct unik_job *out, struct unik_err *err);

void unik_run_request_init(struct unik_run_request *rq);
void unik_run_request_release(struct unik_run_request *rq);
json_t *unik_run_request_to_json(const struct unik_run_request *rq);
int unik_run_request_from_json(json_t *j, struct unik_run_request *out, struct unik_err *err);

const char *unik_state_name(enum unik_state s);
int unik_state_from_name(const char *name, enum unik_state *out);
/* 1 for starting, running and stopping: a VM may exist. */
int unik_state_active(enum unik_state s);
const char *unik_job_state_name(enum unik_job_state s);
int unik_job_state_from_name(const char *name, enum unik_job_state *out);

/* A JSON string of s (NEW), null when s is NULL; bytes that are not valid
 * UTF-8 (which jansson refuses) are written as "\xNN" instead. */
json_t *unik_json_text(const char *s);

/* {"error":{"code":...,"message":...}} - NEW reference, never NULL. */
json_t *unik_error_to_json(const struct unik_err *e);
/* Decodes an error body; returns -1 if `j` is not one. */
int unik_error_from_json(json_t *j, struct unik_err *out);

/* RFC 3339 UTC ("2026-11-27T02:28:16Z") <-> unix seconds. */
void unik_time_format(int64_t t, char buf[32]);
int unik_time_parse(const char *s, int64_t *out);

/* A valid object name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}. */
int unik_name_valid(const char *name);
/* Strings of the form K=V with a non-empty K made of [A-Za-z0-9_]. */
int unik_env_valid(const char *kv);

#endif

/* mock.h - the mock providers: complete in-memory providers for the
 * daemon's unit tests (libvirt's test driver is the model).  They are
 * never part of unikd: the tests link providers/mock/mock_registry.c, a
 * table of these, in place of providers/registry.c.
 *
 * VMs live in a table of this process, keyed by instance id.  It outlives
 * a daemon's state torn down and rebuilt by a test, so a "restarted"
 * daemon finds its VMs still running and adopts them.
 *
 *   mock         every operation, VMs without a host process (pid 0): the
 *                daemon asks status() whether they still run; networks
 *                on the bridge (tap) and user-mode (it "publishes" ports);
 *                volumes (raw or qcow2, up to 4), hot-plugged too
 *   mock-proc    VMs are host processes (`sleep`, spawned the way VM
 *                processes are: common/spawn.h) that the daemon's
 *                supervisor watches; no status(), no network; raw volumes
 *                (up to 2) given at start only
 *   mock-nostop  start() and collect() only: stop and `rm -f` are 501
 *   mock-none    no operation at all: whatever needs one is 501
 *
 * Tests steer them with mock_*(): any operation can fail, take a while, or
 * wait until the test lets it go; a VM can end with a status, also while
 * it is being started.  Everything is thread-safe: the daemon calls
 * providers from several threads at once.
 */
#ifndef UNIK_PROVIDER_MOCK_H
#define UNIK_PROVIDER_MOCK_H

#include <sys/types.h>

#include "../provider.h"

extern const struct unik_provider unik_provider_mock;
extern const struct unik_provider unik_provider_mock_proc;
extern const struct unik_provider unik_provider_mock_nostop;
extern const struct unik_provider unik_provider_mock_none;

enum mock_op {
	MOCK_CHECK,
	MOCK_PROBE,
	MOCK_START,
	MOCK_STOP,
	MOCK_COLLECT,
	MOCK_REMOVE,
	MOCK_STATUS,
	MOCK_ATTACH_VOLUME,
	MOCK_DETACH_VOLUME,
	MOCK_PUBLISH,
	MOCK_UNPUBLISH,
	MOCK_NOPS
};

/* Forgets every VM (ending the processes of mock-proc's), every failure,
 * delay and hold, and the call counts. */
void mock_reset(void);
/* Calls of `op` by provider `name` (NULL: every mock) fail from now on
 * with `code` and `msg`; UNIK_E_OK: they succeed again. */
void mock_fail(const char *name, enum mock_op op, enum unik_errcode code, const char *msg);
/* Calls of `op` by provider `name` (NULL: every mock) take `ms`
 * milliseconds more (0: none). */
void mock_delay(const char *name, enum mock_op op, int ms);
/* Calls of `op` by provider `name` (NULL: every mock) wait, once counted,
 * until mock_release(op). */
void mock_hold(const char *name, enum mock_op op);
void mock_release(enum mock_op op);
/* How many calls of `op` have begun since the last reset. */
int mock_calls(enum mock_op op);
/* Waits until `n` calls of `op` have begun, at most `ms`: 0, or -1. */
int mock_wait_calls(enum mock_op op, int n, int ms);
/* The VM of the next start ends with status `code` before start()
 * returns (mock-proc: its process is already gone). */
void mock_end_during_start(int code);

/* The VM of instance `id` ends: its program exits with `code` (mock-proc:
 * its process is killed).  0, or -1 if no VM of `id` runs. */
int mock_vm_end(const char *id, int code);
/* 1 if the VM of `id` runs, 0 if it is stopped, -1 if there is none. */
int mock_vm_running(const char *id);
/* The host process of `id`'s VM (mock-proc), else 0. */
pid_t mock_vm_pid(const char *id);
/* How many VMs run. */
int mock_vms_running(void);
/* What the last start of `id` was given: its network mode, and the first
 * port to publish as "HOST_IP:HOST_PORT-GUEST_PORT" ("" if none) into buf.
 * The number of ports, or -1 if `id` was never started. */
int mock_vm_net(const char *id, enum unik_net_mode *mode, char *buf, size_t len);
/* The disks the VM of `id` has (from its last start, then hot-plugs), in
 * disk order, as "NAME:PATH:ro|rw:FORMAT" joined by spaces, into buf.  The
 * number of disks, or -1 if `id` was never started. */
int mock_vm_disks(const char *id, char *buf, size_t len);
/* What the last start of `id` was given as spec->published, into buf
 * ("" if nothing).  0, or -1 if `id` was never started. */
int mock_vm_published(const char *id, char *buf, size_t len);
/* How many images have a copy on mock now. */
int mock_published(void);

#endif

/* mock_int.h - what the mock providers' files share (see mock.h). */
#ifndef UNIK_PROVIDER_MOCK_INT_H
#define UNIK_PROVIDER_MOCK_INT_H

#include <pthread.h>

#include "mock.h"

/* One VM, by instance id. */
struct mock_vm {
	char *id;
	int running;
	pid_t pid; /* mock-proc: its process */
	int exit_code; /* once it ended: the program's status, -1 unknown */
	int ended_by_test; /* mock_vm_end() said exit_code */
	enum unik_net_mode net_mode; /* of its last start */
	int n_ports;
	char port0[64];
	int n_disks;
	char disks[512]; /* see mock_vm_disks() */
	char published[128]; /* see mock_vm_published() */
	struct mock_vm *next;
};

/* Guards the VM table (and nothing is called with it held). */
extern pthread_mutex_t mock_lock;

/* The VM of `id`, or NULL; mock_lock held. */
struct mock_vm *mock_vm_find(const char *id);
/* The VM of `id`, made when missing; mock_lock held. */
struct mock_vm *mock_vm_get(const char *id);
/* Drops the VM of `id`; mock_lock held. */
void mock_vm_forget(const char *id);

/* Every operation begins here: counts the call, waits while the operation
 * is held, sleeps its delay, then 0, or -1 with the injected failure. */
int mock_enter(const struct unik_provider *p, enum mock_op op, struct unik_err *err);
/* 1 and the status if the next start's VM is to end during it (once). */
int mock_take_end_during_start(int *code);

/* mock's publish() and unpublish() (mock_publish.c). */
int mock_publish(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		 struct unik_err *err);
int mock_unpublish(const struct unik_publish_spec *spec, const char *ref, struct unik_err *err);
/* Forgets the count of copies (mock_reset). */
void mock_publish_reset(void);

#endif

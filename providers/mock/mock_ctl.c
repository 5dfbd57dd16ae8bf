/* mock_ctl.c - the mock providers' VM table and what tests inject (see
 * mock.h). */
#include "mock_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/clock.h"
#include "../../lib/xalloc.h"

pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;

static struct mock_vm *vms;

/* What tests inject, per operation; guarded by ctl_lock. */
struct injection {
	int calls;
	int held;
	char held_name[32]; /* the provider it holds, "" every mock */
	int delay_ms;
	char delay_name[32];
	enum unik_errcode fail; /* UNIK_E_OK: none */
	char fail_name[32];
	char fail_msg[128];
};

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ctl_changed = PTHREAD_COND_INITIALIZER;
static struct injection inj[MOCK_NOPS];
static int end_during_start = -1;

struct mock_vm *mock_vm_find(const char *id)
{
	for (struct mock_vm *v = vms; v; v = v->next)
		if (!strcmp(v->id, id))
			return v;
	return NULL;
}

struct mock_vm *mock_vm_get(const char *id)
{
	struct mock_vm *v = mock_vm_find(id);

	if (v)
		return v;
	v = xcalloc(1, sizeof(*v));
	v->id = xstrdup(id);
	v->exit_code = -1;
	v->next = vms;
	vms = v;
	return v;
}

void mock_vm_forget(const char *id)
{
	for (struct mock_vm **pp = &vms; *pp; pp = &(*pp)->next) {
		struct mock_vm *v = *pp;

		if (strcmp(v->id, id))
			continue;
		*pp = v->next;
		free(v->id);
		free(v);
		return;
	}
}

void mock_reset(void)
{
	mock_publish_reset();
	pthread_mutex_lock(&mock_lock);
	while (vms) {
		struct mock_vm *v = vms;

		vms = v->next;
		if (v->running && v->pid > 0)
			kill(v->pid, SIGKILL);
		free(v->id);
		free(v);
	}
	pthread_mutex_unlock(&mock_lock);
	pthread_mutex_lock(&ctl_lock);
	memset(inj, 0, sizeof(inj));
	end_during_start = -1;
	pthread_cond_broadcast(&ctl_changed);
	pthread_mutex_unlock(&ctl_lock);
}

void mock_fail(const char *name, enum mock_op op, enum unik_errcode code, const char *msg)
{
	pthread_mutex_lock(&ctl_lock);
	inj[op].fail = code;
	snprintf(inj[op].fail_name, sizeof(inj[op].fail_name), "%s", name ? name : "");
	snprintf(inj[op].fail_msg, sizeof(inj[op].fail_msg), "%s", msg ? msg : "");
	pthread_mutex_unlock(&ctl_lock);
}

void mock_delay(const char *name, enum mock_op op, int ms)
{
	pthread_mutex_lock(&ctl_lock);
	inj[op].delay_ms = ms;
	snprintf(inj[op].delay_name, sizeof(inj[op].delay_name), "%s", name ? name : "");
	pthread_mutex_unlock(&ctl_lock);
}

void mock_hold(const char *name, enum mock_op op)
{
	pthread_mutex_lock(&ctl_lock);
	inj[op].held = 1;
	snprintf(inj[op].held_name, sizeof(inj[op].held_name), "%s", name ? name : "");
	pthread_mutex_unlock(&ctl_lock);
}

void mock_release(enum mock_op op)
{
	pthread_mutex_lock(&ctl_lock);
	inj[op].held = 0;
	pthread_cond_broadcast(&ctl_changed);
	pthread_mutex_unlock(&ctl_lock);
}

int mock_calls(enum mock_op op)
{
	int n;

	pthread_mutex_lock(&ctl_lock);
	n = inj[op].calls;
	pthread_mutex_unlock(&ctl_lock);
	return n;
}

int mock_wait_calls(enum mock_op op, int n, int ms)
{
	long long end = clock_now_ms() + ms;

	while (mock_calls(op) < n) {
		if (clock_now_ms() >= end)
			return -1;
		clock_sleep_ms(5);
	}
	return 0;
}

void mock_end_during_start(int code)
{
	pthread_mutex_lock(&ctl_lock);
	end_during_start = code;
	pthread_mutex_unlock(&ctl_lock);
}

int mock_take_end_during_start(int *code)
{
	int take;

	pthread_mutex_lock(&ctl_lock);
	take = end_during_start >= 0;
	*code = end_during_start;
	end_during_start = -1;
	pthread_mutex_unlock(&ctl_lock);
	return take;
}

/* 1 if an injection for provider `set` ("" every mock) applies to p. */
static int applies(const char *set, const struct unik_provider *p)
{
	return !set[0] || !strcmp(set, p->name);
}

int mock_enter(const struct unik_provider *p, enum mock_op op, struct unik_err *err)
{
	int delay = 0, rc = 0;

	pthread_mutex_lock(&ctl_lock);
	inj[op].calls++;
	while (inj[op].held && applies(inj[op].held_name, p))
		pthread_cond_wait(&ctl_changed, &ctl_lock);
	if (applies(inj[op].delay_name, p))
		delay = inj[op].delay_ms;
	pthread_mutex_unlock(&ctl_lock);
	if (delay > 0)
		clock_sleep_ms(delay);
	pthread_mutex_lock(&ctl_lock);
	if (inj[op].fail != UNIK_E_OK && applies(inj[op].fail_name, p))
		rc = unik_err_set(err, inj[op].fail, "%s: %s", p->name, inj[op].fail_msg);
	pthread_mutex_unlock(&ctl_lock);
	return rc;
}

int mock_vm_end(const char *id, int code)
{
	struct mock_vm *v;
	int rc = -1;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	if (v && v->running) {
		v->exit_code = code;
		v->ended_by_test = 1;
		if (v->pid > 0)
			kill(v->pid, SIGTERM); /* the supervisor notices */
		else
			v->running = 0; /* the poller notices (status) */
		rc = 0;
	}
	pthread_mutex_unlock(&mock_lock);
	return rc;
}

int mock_vm_running(const char *id)
{
	struct mock_vm *v;
	int r;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	r = v ? v->running : -1;
	pthread_mutex_unlock(&mock_lock);
	return r;
}

pid_t mock_vm_pid(const char *id)
{
	struct mock_vm *v;
	pid_t pid;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	pid = v ? v->pid : 0;
	pthread_mutex_unlock(&mock_lock);
	return pid;
}

int mock_vms_running(void)
{
	int n = 0;

	pthread_mutex_lock(&mock_lock);
	for (struct mock_vm *v = vms; v; v = v->next)
		n += v->running;
	pthread_mutex_unlock(&mock_lock);
	return n;
}

int mock_vm_net(const char *id, enum unik_net_mode *mode, char *buf, size_t len)
{
	struct mock_vm *v;
	int n = -1;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	if (v) {
		*mode = v->net_mode;
		snprintf(buf, len, "%s", v->port0);
		n = v->n_ports;
	}
	pthread_mutex_unlock(&mock_lock);
	return n;
}

int mock_vm_disks(const char *id, char *buf, size_t len)
{
	struct mock_vm *v;
	int n = -1;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	if (v) {
		snprintf(buf, len, "%s", v->disks);
		n = v->n_disks;
	}
	pthread_mutex_unlock(&mock_lock);
	return n;
}

int mock_vm_published(const char *id, char *buf, size_t len)
{
	struct mock_vm *v;
	int rc = -1;

	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(id);
	if (v) {
		snprintf(buf, len, "%s", v->published);
		rc = 0;
	}
	pthread_mutex_unlock(&mock_lock);
	return rc;
}

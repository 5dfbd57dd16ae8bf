/* t_races.c - the instance lifecycle while providers work: no provider call
 * holds the daemon's lock, so requests for other instances proceed while
 * one instance starts or stops; requests for the same instance wait for
 * it or are refused; a VM that ends during its start or its stop is
 * collected once.  Mock providers (providers/mock/mock.h) hold or delay
 * their operations to make each race happen. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "../../daemon/http.h"
#include "daemon_fixture.h"
#include "tap.h"

#define USER_NET "[network]\nmode = user\n"
#define QUICK_MS 2000 /* a call that must not wait for another instance's provider */
#define LIST_MS 50 /* GET /v1/instances while a start takes 5 s (issue 10) */
#define SLOW_START_MS 5000

static char *root;

/* The id of the one instance in state `st` (caller frees), or NULL. */
static char *find_state(struct unikd *d, int st)
{
	struct unik_instance *v;
	char *id = NULL;
	size_t n;

	if (store_instance_list(d->store, &v, &n, NULL))
		return NULL;
	for (size_t i = 0; i < n && !id; i++)
		if ((int)v[i].state == st)
			id = xstrdup(v[i].id);
	store_instances_free(v, n);
	return id;
}

/* Starts an instance on `provider` whose start() is held; its id. */
static char *start_held(struct unikd *d, struct fx_async *a, const char *provider)
{
	int calls = mock_calls(MOCK_START);
	char *id;

	mock_hold(provider, MOCK_START);
	fx_async(a, d, FX_CREATE, "hello", provider);
	if (mock_wait_calls(MOCK_START, calls + 1, 10000))
		return NULL;
	id = find_state(d, UNIK_STATE_STARTING);
	return id;
}

/* 1 once a->done, waiting at most ms. */
static int done_within(struct fx_async *a, int ms)
{
	long long end = clock_now_ms() + ms;

	while (!fx_async_done(a) && clock_now_ms() < end)
		clock_sleep_ms(5);
	return fx_async_done(a);
}

static void exit_during_start(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, got;
	int got_ok;

	unik_instance_init(&got);
	mock_end_during_start(9);
	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) == 0, "a VM that ends during its start");
	is_int(in.state, UNIK_STATE_EXITED, "is exited when the run returns");
	is_int(in.exit_code, 9, "with its program's status");
	ok(instance_remove(d, in.id, 0, &err) == 0, "rm");
	unik_instance_release(&in);

	mock_end_during_start(8);
	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &in, &err) == 0,
	   "a VM process gone before start() returned: %s", err.msg);
	ok(fx_wait_state(d, in.id, UNIK_STATE_EXITED, 10000), "is collected by the supervisor");
	got_ok = fx_get(d, in.id, &got) == 0;
	ok(got_ok && got.exit_code == 8, "with status %d", got.exit_code);
	ok(instance_remove(d, in.id, 0, &err) == 0, "rm");
	unik_instance_release(&in);
	unik_instance_release(&got);
}

static void stop_during_start(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct fx_async create, stop;
	struct unik_instance in;
	char *id = start_held(d, &create, "mock");

	unik_instance_init(&in);
	if (!ok(id != NULL, "an instance is starting (its start() is held)")) {
		mock_release(MOCK_START);
		fx_join(&create);
		return;
	}
	ok(instance_start(d, id, &in, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "starting it again: conflict (%s)", err.msg);
	unik_instance_release(&in);
	ok(instance_remove(d, id, 0, &err) < 0 && err.code == UNIK_E_CONFLICT, "rm: conflict (%s)",
	   err.msg);
	fx_async(&stop, d, FX_STOP, id, NULL);
	ok(!done_within(&stop, 300), "a stop waits for the start to finish");
	is_int(fx_state(d, id), UNIK_STATE_STARTING, "which the record shows");
	mock_release(MOCK_START);
	ok(fx_join(&create) == 0 && create.out.state == UNIK_STATE_RUNNING,
	   "the start completes: running");
	ok(fx_join(&stop) == 0 && stop.out.state == UNIK_STATE_EXITED, "then the stop: exited (%s)",
	   stop.err.msg);
	is_int(mock_vm_running(id), 0, "the VM is stopped");
	ok(instance_remove(d, id, 0, &err) == 0, "rm");
	unik_instance_release(&create.out);
	unik_instance_release(&stop.out);
	free(id);
}

static void rm_during_stop(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	struct fx_async stop, rm;
	char id[UNIK_ID_LEN + 1];
	int calls = mock_calls(MOCK_STOP);

	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) == 0, "an instance runs");
	snprintf(id, sizeof(id), "%s", in.id);
	unik_instance_release(&in);
	mock_hold("mock", MOCK_STOP);
	fx_async(&stop, d, FX_STOP, id, NULL);
	ok(mock_wait_calls(MOCK_STOP, calls + 1, 10000) == 0, "its stop() is under way");
	is_int(fx_state(d, id), UNIK_STATE_STOPPING, "it is stopping");
	ok(instance_remove(d, id, 0, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "rm without force: conflict at once (%s)", err.msg);
	fx_async(&rm, d, FX_REMOVE_FORCE, id, NULL);
	ok(!done_within(&rm, 300), "rm -f waits for the stop");
	mock_release(MOCK_STOP);
	ok(fx_join(&stop) == 0 && stop.out.state == UNIK_STATE_EXITED, "the stop completes");
	ok(fx_join(&rm) == 0, "then rm -f: %s", rm.err.msg);
	is_int(fx_state(d, id), -1, "the record is gone");
	is_int(mock_vm_running(id), -1, "and the VM");
	unik_instance_release(&stop.out);
	unik_instance_release(&rm.out);
}

static void exit_during_stop(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	struct fx_async stop;
	char id[UNIK_ID_LEN + 1];
	int calls = mock_calls(MOCK_STOP);
	long long t0;

	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) == 0, "an instance runs");
	snprintf(id, sizeof(id), "%s", in.id);
	unik_instance_release(&in);
	mock_hold("mock", MOCK_STOP);
	fx_async(&stop, d, FX_STOP, id, NULL);
	ok(mock_wait_calls(MOCK_STOP, calls + 1, 10000) == 0, "its stop() is under way");
	ok(mock_vm_end(id, 2) == 0, "its program ends meanwhile (status 2)");
	t0 = clock_now_ms();
	instance_exited(d, id, 0, -1);
	ok(clock_now_ms() - t0 < QUICK_MS, "the word of its end does not wait for the stop");
	is_int(fx_state(d, id), UNIK_STATE_STOPPING, "it is left to the stop");
	mock_release(MOCK_STOP);
	ok(fx_join(&stop) == 0 && stop.out.state == UNIK_STATE_EXITED, "the stop completes");
	is_int(stop.out.exit_code, 2, "with the program's own status, collected once");
	ok(instance_remove(d, id, 0, &err) == 0, "rm");
	unik_instance_release(&stop.out);
}

/* While one instance's start() is held, everything else proceeds. */
static void others_proceed(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, w, z;
	struct fx_async slow, other, stop;
	long long t0;
	char *id;
	int done;

	ok(fx_run(d, "hello", "mock", 1, NULL, &w, &err) == 0, "W runs on mock");
	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &z, &err) == 0, "Z runs on mock-proc");
	id = start_held(d, &slow, "mock");
	if (!ok(id != NULL, "X is starting, its start() held")) {
		mock_release(MOCK_START);
		fx_join(&slow);
		return;
	}
	fx_async(&other, d, FX_CREATE, "hello", "mock-proc");
	done = done_within(&other, QUICK_MS);
	ok(done && other.rv == 0, "Y starts meanwhile (%lld ms)", done ? other.ms : -1);
	fx_join(&other);
	if (other.rv == 0) {
		fx_async(&stop, d, FX_STOP, other.out.id, NULL);
		done = done_within(&stop, QUICK_MS + 2000);
		ok(done && stop.rv == 0, "and stops meanwhile (%lld ms)", done ? stop.ms : -1);
		fx_join(&stop);
		unik_instance_release(&stop.out);
	}
	t0 = clock_now_ms();
	unik_instance_init(&in);
	ok(store_instance_get(d->store, id, &in, &err) == 0 && in.state == UNIK_STATE_STARTING,
	   "X can be inspected: starting");
	ok(clock_now_ms() - t0 < LIST_MS, "at once");
	unik_instance_release(&in);
	ok(mock_vm_end(z.id, 1) == 0, "Z's program ends");
	ok(fx_wait_state(d, z.id, UNIK_STATE_EXITED, QUICK_MS),
	   "the supervisor's callback records it meanwhile");
	ok(mock_vm_end(w.id, 1) == 0, "W's program ends");
	t0 = clock_now_ms();
	instances_poll_unwatched(d);
	ok(clock_now_ms() - t0 < QUICK_MS && fx_state(d, w.id) == UNIK_STATE_EXITED,
	   "the poller collects it meanwhile, passing X by");
	mock_release(MOCK_START);
	ok(fx_join(&slow) == 0 && slow.out.state == UNIK_STATE_RUNNING, "X's start completes");
	instance_remove(d, id, 1, &err);
	instance_remove(d, w.id, 1, &err);
	instance_remove(d, z.id, 1, &err);
	if (other.rv == 0)
		instance_remove(d, other.out.id, 1, &err);
	is_int(fx_count(d), 0, "all removed");
	unik_instance_release(&slow.out);
	unik_instance_release(&other.out);
	unik_instance_release(&w);
	unik_instance_release(&z);
	free(id);
}

/* One request over the API's unix socket, waiting at most ms for the
 * answer: its status (-1: none), and its body in out. */
static int http_req(const char *sock, const char *method, const char *target, int ms,
		    struct strbuf *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	char buf[4096];
	const char *body;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), status = -1;
	ssize_t n;

	strbuf_release(out);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto done;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = snprintf(
	    buf, sizeof(buf),
	    "%s %s HTTP/1.1\r\nHost: unik\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
	    method, target);
	if (write(fd, buf, (size_t)n) != n)
		goto done;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	if (!out->len || sscanf(strbuf_str(out), "HTTP/1.1 %d", &status) != 1)
		status = -1;
	body = strstr(strbuf_str(out), "\r\n\r\n");
	if (body) {
		struct strbuf b = STRBUF_INIT;

		strbuf_adds(&b, body + 4);
		strbuf_release(out);
		*out = b;
	}
done:
	if (fd >= 0)
		close(fd);
	return status;
}

static int http_get(const char *sock, const char *target, struct strbuf *out)
{
	return http_req(sock, "GET", target, 5000, out);
}

/* issue 10: GET /v1/instances while a start takes 5 s. */
static void list_during_slow_start(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct http_server *srv = NULL;
	struct strbuf body = STRBUF_INIT;
	struct fx_async slow;
	char *target, *id;
	long long worst = 0;
	int calls = mock_calls(MOCK_START), good = 1;

	d->socket_path = xasprintf("%s/unikd.sock", root);
	d->http_workers = 4;
	d->max_connections = d->unix_max_connections = 64;
	d->http_idle_timeout = 60;
	d->http_header_timeout = 20;
	d->http_request_memory = 128 * 1024;
	if (!ok(http_start(d, &srv, &err) == 0, "the API listens: %s", err.msg))
		return;
	mock_delay("mock", MOCK_START, SLOW_START_MS);
	fx_async(&slow, d, FX_CREATE, "hello", "mock");
	ok(mock_wait_calls(MOCK_START, calls + 1, 10000) == 0, "a start that takes 5 s begins");
	id = find_state(d, UNIK_STATE_STARTING);
	for (int i = 0; i < 10; i++) {
		long long t0 = clock_now_ms(), ms;
		int status = http_get(d->socket_path, "/v1/instances", &body);

		ms = clock_now_ms() - t0;
		if (ms > worst)
			worst = ms;
		good = good && status == 200 && id && strstr(strbuf_str(&body), id) &&
		       strstr(strbuf_str(&body), "\"starting\"");
		clock_sleep_ms(100);
	}
	ok(good, "GET /v1/instances answers meanwhile, listing it as starting");
	ok(worst < LIST_MS, "each within %d ms (slowest %lld ms)", LIST_MS, worst);
	target = xasprintf("/v1/instances/%s", id ? id : "none");
	ok(http_get(d->socket_path, target, &body) == 200 &&
	       strstr(strbuf_str(&body), "\"starting\""),
	   "GET /v1/instances/{id}: starting");
	free(target);
	target = xasprintf("/v1/instances/%s/wait", id ? id : "none");
	ok(http_req(d->socket_path, "POST", target, 300, &body) == -1,
	   "POST .../wait does not answer while it starts: it will run");
	ok(!fx_async_done(&slow), "while the start still runs");
	free(target);
	target = xasprintf("/v1/instances/%s", id ? id : "none");
	mock_delay("mock", MOCK_START, 0);
	fx_join(&slow);
	ok(slow.rv == 0 && slow.out.state == UNIK_STATE_RUNNING && slow.ms >= SLOW_START_MS - 100,
	   "the start completes after %lld ms", slow.ms);
	ok(http_get(d->socket_path, target, &body) == 200 &&
	       strstr(strbuf_str(&body), "\"running\""),
	   "and the instance runs");
	if (id)
		instance_remove(d, id, 1, &err);
	http_stop(srv);
	unik_instance_release(&slow.out);
	strbuf_release(&body);
	free(target);
	free(id);
	free(d->socket_path);
	d->socket_path = NULL;
}

/* A call that never returns (a lock held across a provider call) fails
 * the test instead of hanging the suite. */
static void timed_out(int sig)
{
	static const char msg[] = "Bail out! timed out: a lifecycle call never returned\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	struct unikd d;
	char *img;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, timed_out);
	alarm(300);
	setvbuf(stderr, NULL, _IOLBF, 0); /* the daemon's log lines stay whole beside TAP's */
	root = fx_root();
	if (!ok(fx_up(&d, root, USER_NET) == 0, "the daemon's state is up"))
		return tap_done();
	img = fx_image(&d, "hello", UNIK_FORMAT_UNIK_ELF);
	others_proceed(&d);
	list_during_slow_start(&d);
	exit_during_start(&d);
	stop_during_start(&d);
	rm_during_stop(&d);
	exit_during_stop(&d);
	fx_down(&d);
	mock_reset();
	fs_remove_tree(root, NULL);
	free(root);
	free(img);
	return tap_done();
}

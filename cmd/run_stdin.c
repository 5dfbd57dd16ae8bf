/* run_stdin.c - unik run -i / -it (see run_stdin.h).
 *
 * The thread waits for input in poll(2) (so that it can be told to stop),
 * reads what is there and POSTs it; a partial answer (the program is not
 * reading yet) is retried after a pause.  End of our input, or Ctrl-D in
 * character mode, sends ?close=1: the program reads end of file.  The
 * guest has no terminal line discipline, so -t keeps the echo local. */
#include "run_stdin.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "cmd.h"

#define CHUNK 65536
#define KEY_EOF 0x04 /* Ctrl-D */
#define KEY_DETACH1 0x10 /* Ctrl-P */
#define KEY_DETACH2 0x11 /* Ctrl-Q */

struct run_stdin {
	struct unik_client cl;
	char *path; /* /v1/instances/<id>/stdin */
	pthread_t thread;
	volatile int stop;
	volatile int *detach;
	int tty; /* character mode is on */
	int ctrl_p; /* the last byte was Ctrl-P */
};

/* The terminal as it was, for the signal handlers too. */
static struct termios saved;
static volatile sig_atomic_t saved_valid;
static struct sigaction old_hup, old_quit;

static void restore_terminal(void)
{
	if (saved_valid) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		saved_valid = 0;
	}
}

/* A signal that ends us: the terminal back first, then die of it. */
static void on_fatal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int char_mode(void)
{
	struct termios t;
	struct sigaction sa;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return 0;
	t = saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF); /* Ctrl-Q and Ctrl-S reach us */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, &old_hup);
	sigaction(SIGQUIT, &sa, &old_quit);
	saved_valid = 1;
	atexit(restore_terminal);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
		saved_valid = 0;
		return 0;
	}
	return 1;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* POSTs buf[0..len) (with ?close=1 when `last`), again and again until the
 * daemon took all of it.  0, or -1 when the input cannot go on (the
 * program ended, or the daemon is gone): nothing more is sent. */
static int send_bytes(struct run_stdin *s, const char *buf, size_t len, int last)
{
	struct strbuf path = STRBUF_INIT;
	size_t off = 0;
	long wait = 10;
	int rc = 0;

	strbuf_adds(&path, s->path);
	if (last)
		strbuf_adds(&path, "?close=1");
	while (!s->stop && (off < len || (last && off == len))) {
		struct unik_err err = UNIK_ERR_INIT;
		json_t *res = NULL, *w;
		size_t took;

		if (client_upload(&s->cl, strbuf_str(&path), "application/octet-stream", buf + off,
				  len - off, &res, &err)) {
			/* 409: the program ended; it needs no more input */
			if (err.code != UNIK_E_CONFLICT)
				fprintf(stderr, "unik: the program's input: %s\n", err.msg);
			rc = -1;
			break;
		}
		w = json_object_get(res, "written");
		took = json_is_integer(w) && json_integer_value(w) >= 0
			   ? (size_t)json_integer_value(w)
			   : 0;
		json_decref(res);
		off += took > len - off ? len - off : took;
		if (off == len)
			break;
		pause_ms(wait); /* the program is not reading yet */
		wait = wait < 200 ? wait * 2 : 200;
	}
	strbuf_release(&path);
	return rc;
}

/* Character mode: Ctrl-D ends the input (the bytes before it are sent),
 * Ctrl-P Ctrl-Q detaches.  The bytes of buf[0..*len) to send, *len cut
 * there; 1 at Ctrl-D, 2 at the detach keys, else 0. */
static int scan_keys(struct run_stdin *s, char *buf, size_t *len)
{
	for (size_t i = 0; i < *len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (s->ctrl_p && c == KEY_DETACH2) {
			*len = i ? i - 1 : 0; /* the Ctrl-P too, when it is here */
			return 2;
		}
		s->ctrl_p = c == KEY_DETACH1;
		if (c == KEY_EOF) {
			*len = i;
			return 1;
		}
	}
	return 0;
}

static void *sender(void *arg)
{
	struct run_stdin *s = arg;
	char *buf = xmalloc(CHUNK);

	while (!s->stop) {
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
		size_t len;
		ssize_t n;
		int key = 0;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(STDIN_FILENO, buf, CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) { /* the end of our input (or a broken one): the program's too */
			send_bytes(s, "", 0, 1);
			break;
		}
		len = (size_t)n;
		if (s->tty)
			key = scan_keys(s, buf, &len);
		if (key == 2) {
			if (len)
				send_bytes(s, buf, len, 0);
			*s->detach = 1;
			break;
		}
		if (send_bytes(s, buf, len, key == 1) || key == 1)
			break;
	}
	free(buf);
	return NULL;
}

struct run_stdin *run_stdin_start(const struct unik_client *cl, const char *id, int tty,
				  volatile int *detach)
{
	struct run_stdin *s = xcalloc(1, sizeof(*s));
	struct strbuf path = STRBUF_INIT;
	sigset_t block, old;

	s->cl = *cl;
	s->cl.cancel = NULL;
	s->cl.cancel_arg = NULL;
	s->detach = detach;
	cmd_ref_path(&path, "instances", id, "/stdin");
	s->path = strbuf_detach(&path);
	s->tty = tty && char_mode();
	/* the signals stay the main thread's (Ctrl-C: stop the instance) */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pthread_create(&s->thread, NULL, sender, s)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		fprintf(stderr, "unik: cannot send the program's input: no thread for it\n");
		restore_terminal();
		free(s->path);
		free(s);
		return NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return s;
}

void run_stdin_stop(struct run_stdin *s)
{
	if (!s)
		return;
	s->stop = 1;
	pthread_join(s->thread, NULL);
	if (s->tty) {
		restore_terminal();
		sigaction(SIGHUP, &old_hup, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
	}
	free(s->path);
	free(s);
}

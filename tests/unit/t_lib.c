/* t_lib.c - strbuf, strv, config, bootargs, fsutil, safeopen, utf8, hex, error messages. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "../../daemon/network_host.h"
#include "../../lib/bootargs.h"
#include "../../lib/elf_syms.h"
#include "../../lib/config.h"
#include "../../lib/fsutil.h"
#include "../../lib/procstat.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/strv.h"
#include "../../lib/hex.h"
#include "../../lib/host_run.h"
#include "../../lib/utf8.h"
#include "../../lib/xalloc.h"
#include "tap.h"

static void strings(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct strv sv = STRV_INIT;

	is_str(strbuf_str(&sb), "", "empty strbuf reads as \"\"");
	strbuf_addf(&sb, "%d-%s", 42, "x");
	strbuf_addch(&sb, '!');
	is_str(strbuf_str(&sb), "42-x!", "strbuf_addf + addch");
	for (int i = 0; i < 1000; i++)
		strbuf_adds(&sb, "abc");
	is_int(sb.len, 5 + 3000, "strbuf grows");
	strbuf_release(&sb);
	strv_push(&sv, "a");
	strv_push(&sv, "b");
	ok(sv.n == 2 && sv.v[2] == NULL, "strv is NULL-terminated");
	is_int(strv_find(&sv, "b"), 1, "strv_find");
	strv_release(&sv);
}

static void config(void)
{
	struct unik_config cfg;
	struct unik_err err = UNIK_ERR_INIT;
	long long n = 0;

	unik_config_init(&cfg);
	ok(unik_config_parse(&cfg,
			     "# comment\nmax_upload = 1M\n[qemu]\n accel = tcg \n[linux]\n"
			     "kernel=/k\n",
			     "test", &err) == 0,
	   "config parses");
	is_str(unik_config_get(&cfg, "qemu.accel", NULL), "tcg", "sectioned key, trimmed");
	is_str(unik_config_get(&cfg, "daemon.max_upload", NULL), "1M", "keys before a section");
	is_str(unik_config_get(&cfg, "linux.missing", "def"), "def", "default for absent key");
	unik_config_set(&cfg, "qemu.accel", "kvm");
	is_str(unik_config_get(&cfg, "qemu.accel", NULL), "kvm", "set replaces");
	ok(unik_config_get_int(&cfg, "qemu.accel", 0, &n, &err) < 0, "non-integer is an error");
	ok(unik_config_parse(&cfg, "[broken\n", "bad.conf", &err) < 0 &&
	       strstr(err.msg, "bad.conf:1"),
	   "bad section names file and line: %s", err.msg);
	ok(unik_config_parse(&cfg, "novalue\n", "bad.conf", &err) < 0,
	   "line without '=' is an error");
	unik_config_release(&cfg);
}

static void bootargs(void)
{
	struct strbuf sb = STRBUF_INIT, dec = STRBUF_INIT;
	struct strv args = STRV_INIT, env = STRV_INIT;

	strv_push(&args, "a b");
	strv_push(&args, "100%\"=");
	strv_push(&env, "GREETING=hi there");
	bootargs_append(&sb, &args, &env);
	is_str(strbuf_str(&sb),
	       " unik.arg=a%20b unik.arg=100%25%22%3D unik.env=GREETING%3Dhi%20there",
	       "argv and env encode");
	ok(bootargs_decode(&dec, "100%25%22%3D", 12) == 0, "decode succeeds");
	is_str(strbuf_str(&dec), "100%\"=", "decode inverts encode");
	strbuf_reset(&dec);
	ok(bootargs_decode(&dec, "bad%2", 5) < 0, "truncated escape is refused");
	ok(bootargs_decode(&dec, "bad%zz", 6) < 0, "non-hex escape is refused");
	strbuf_release(&sb);
	strbuf_release(&dec);
	strv_release(&args);
	strv_release(&env);
}

static void files(void)
{
	char tmpl[] = "/tmp/unik-t-lib.XXXXXX";
	char *dir = mkdtemp(tmpl), *deep, *file;
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;

	deep = xasprintf("%s/a/b/c", dir);
	file = xasprintf("%s/a/f", dir);
	ok(fs_mkdir_p(deep, 0700, &err) == 0 && fs_exists(deep), "mkdir -p");
	ok(fs_write_file_atomic(file, "hello", 5, 0600, &err) == 0, "atomic write");
	ok(fs_read_file(file, &sb, &err) == 0 && !strcmp(strbuf_str(&sb), "hello"), "read back");
	is_int(fs_file_size(file), 5, "file size");
	ok(fs_read_file("/nonexistent/x", &sb, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "missing file is NOT_FOUND");
	ok(fs_remove_tree(dir, &err) == 0 && !fs_exists(dir), "rm -rf");
	strbuf_release(&sb);
	free(deep);
	free(file);
}

/* A folder `levels` deep below `dir` (past PATH_MAX), a file at the bottom. */
static int make_deep(const char *dir, int levels)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), rc = 0;

	for (int i = 0; i < levels && fd >= 0; i++) {
		int next;

		if (mkdirat(fd, "level", 0700) < 0) {
			rc = -1;
			break;
		}
		next = openat(fd, "level", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	if (rc == 0) {
		int f = openat(fd, "bottom", O_WRONLY | O_CREAT, 0600);

		rc = f < 0 ? -1 : close(f);
	}
	close(fd);
	return rc;
}

static void remove_trees(void)
{
	char tmpl[] = "/tmp/unik-t-rm.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *tree = xasprintf("%s/tree", dir), *keep = xasprintf("%s/keep", dir);
	char *keepfile = xasprintf("%s/keep/precious", dir), *p;
	struct unik_err err = UNIK_ERR_INIT;

	fs_mkdir_p(tree, 0700, NULL);
	fs_mkdir_p(keep, 0700, NULL);
	fs_write_file_atomic(keepfile, "x", 1, 0600, NULL);
	ok(make_deep(tree, 3000) == 0, "a tree 3000 folders deep (about 18 KB of path)");
	p = xasprintf("%s/link-to-keep", tree);
	ok(symlink(keep, p) == 0, "with a symlink to a folder outside");
	free(p);
	p = xasprintf("%s/locked", tree);
	fs_mkdir_p(p, 0700, NULL);
	free(p);
	p = xasprintf("%s/locked/f", tree);
	fs_write_file_atomic(p, "x", 1, 0600, NULL);
	free(p);
	p = xasprintf("%s/locked", tree);
	chmod(p, 0);
	free(p);
	ok(fs_remove_tree(tree, &err) == 0, "is removed by descriptor: %s", err.msg);
	ok(!fs_exists(tree), "completely");
	ok(fs_exists(keepfile), "without following the symlink");
	p = xasprintf("%s/alias", dir);
	symlink(keep, p);
	ok(fs_remove_tree(p, &err) == 0 && !fs_exists(p) && fs_exists(keepfile),
	   "a symlink given as the tree is removed, not its target");
	free(p);
	ok(fs_remove_tree(tree, &err) == 0, "a missing tree is fine");
	fs_remove_tree(dir, NULL);
	free(tree);
	free(keep);
	free(keepfile);
}

/* safe_openat beneath `t` (made by safe_opens), in the current mode. */
static void beneath(int t, const char *mode)
{
	int fd;

	fd = safe_openat(t, "in/f", O_RDONLY, 0, 0);
	ok(fd >= 0, "an in-tree symlink is followed%s", mode);
	if (fd >= 0)
		close(fd);
	fd = safe_openat(t, "a/u/sub/f", O_RDONLY, 0, 0);
	ok(fd >= 0, "links through links inside are followed%s", mode);
	if (fd >= 0)
		close(fd);
	errno = 0;
	ok(safe_openat(t, "abs/passwd", O_RDONLY, 0, 0) < 0 && errno == EXDEV,
	   "an absolute symlink is EXDEV%s", mode);
	errno = 0;
	ok(safe_openat(t, "up/outside", O_RDONLY, 0, 0) < 0 && errno == EXDEV,
	   "a symlink to .. is EXDEV%s", mode);
	errno = 0;
	ok(safe_openat(t, "b/outside", O_RDONLY, 0, 0) < 0 && errno == EXDEV,
	   "a chain of local-looking links out is EXDEV%s", mode);
	errno = 0;
	ok(safe_openat(t, "../outside", O_RDONLY, 0, 0) < 0 && errno == EXDEV,
	   "'..' above the root is EXDEV%s", mode);
	errno = 0;
	ok(safe_openat(t, "in/f", O_RDONLY, 0, SAFE_NO_SYMLINKS) < 0 && errno == ELOOP,
	   "SAFE_NO_SYMLINKS refuses links%s", mode);
	errno = 0;
	ok(safe_openat(t, "in", O_RDONLY | O_NOFOLLOW, 0, 0) < 0, "O_NOFOLLOW holds%s", mode);
	fd = safe_openat(t, "in/new", O_WRONLY | O_CREAT | O_TRUNC, 0600, 0);
	ok(fd >= 0, "O_CREAT through an in-tree link%s", mode);
	if (fd >= 0)
		close(fd);
	errno = 0;
	ok(safe_openat(t, "abs/unik-t-lib-created", O_WRONLY | O_CREAT, 0600, 0) < 0 &&
	       errno == EXDEV && !fs_exists("/etc/unik-t-lib-created"),
	   "O_CREAT through a link out is refused%s", mode);
}

static void safe_opens(void)
{
	char tmpl[] = "/tmp/unik-t-safe.XXXXXX";
	char *dir = mkdtemp(tmpl), *p, *q;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	int t, fd;

	p = xasprintf("%s/t/a", dir);
	fs_mkdir_p(p, 0700, NULL);
	free(p);
	p = xasprintf("%s/t/sub", dir);
	fs_mkdir_p(p, 0700, NULL);
	free(p);
	p = xasprintf("%s/t/sub/f", dir);
	fs_write_file_atomic(p, "f", 1, 0600, NULL);
	free(p);
	p = xasprintf("%s/outside", dir);
	fs_write_file_atomic(p, "secret", 6, 0600, NULL);
	free(p);
	p = xasprintf("%s/t", dir);
	t = open(p, O_RDONLY | O_DIRECTORY);
	free(p);
	ok(symlinkat("sub", t, "in") == 0 && symlinkat("/etc", t, "abs") == 0 &&
	       symlinkat("..", t, "up") == 0 && symlinkat("..", t, "a/u") == 0 &&
	       symlinkat("a/u/..", t, "b") == 0,
	   "a tree with links in and out");
	beneath(t, " (openat2)");
	safeopen_force_fallback = 1;
	beneath(t, " (user-space resolver)");
	safeopen_force_fallback = 0;

	p = xasprintf("%s/t/b/outside", dir);
	q = xasprintf("%s/t", dir);
	ok(safe_open_in(q, p, O_RDONLY, 0, &err) < 0 && err.code == UNIK_E_INVALID,
	   "safe_open_in refuses the chain: %s", err.msg);
	free(p);
	p = xasprintf("%s/t/in/f", dir);
	fd = safe_open_in(q, p, O_RDONLY, 0, &err);
	ok(fd >= 0 && safe_read_fd(fd, "f", 10, &sb, &err) == 0 && !strcmp(sb.buf, "f"),
	   "and reads inside: %s", err.msg);
	if (fd >= 0)
		close(fd);
	free(p);
	p = xasprintf("%s/t/in/nothing", dir);
	ok(safe_open_in(q, p, O_RDONLY, 0, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "a missing file is NOT_FOUND");
	free(p);
	free(q);
	p = xasprintf("%s/t/up/outside", dir); /* root = t/up, a symlink to dir */
	q = xasprintf("%s/t/up", dir);
	ok(safe_open_in(q, p, O_RDONLY, 0, &err) < 0 && err.code == UNIK_E_INVALID,
	   "a root that is a symlink is refused: %s", err.msg);
	free(p);
	free(q);

	/* writers replace links instead of writing through them */
	p = xasprintf("%s/t/planted", dir);
	q = xasprintf("%s/outside", dir);
	symlink(q, p);
	fd = safe_create(p, 0600, &err);
	ok(fd >= 0 && write(fd, "new", 3) == 3, "safe_create over a planted link");
	if (fd >= 0)
		close(fd);
	strbuf_reset(&sb);
	fs_read_file(q, &sb, NULL);
	is_str(strbuf_str(&sb), "secret", "does not write through it");
	unlink(p);
	symlink(q, p);
	ok(fs_write_file_atomic(p, "new", 3, 0600, &err) == 0, "fs_write_file_atomic over a link");
	strbuf_reset(&sb);
	fs_read_file(q, &sb, NULL);
	is_str(strbuf_str(&sb), "secret", "does not write through it either");
	unlink(p);
	symlink(q, p);
	ok(fs_copy_file("/dev/null", p, 0600, &err) == 0, "fs_copy_file over a link");
	strbuf_reset(&sb);
	fs_read_file(q, &sb, NULL);
	is_str(strbuf_str(&sb), "secret", "nor does fs_copy_file");
	free(p);
	free(q);
	p = xasprintf("%s/t/up/via-link", dir);
	ok(fs_write_file_atomic(p, "x", 1, 0600, &err) < 0 && safe_create(p, 0600, &err) < 0,
	   "writers refuse a folder that is a symlink");
	free(p);
	p = xasprintf("%s/via-link", dir);
	ok(!fs_exists(p), "and wrote nothing through it");
	free(p);
	close(t);
	strbuf_release(&sb);
	fs_remove_tree(dir, NULL);
}

static void utf8(void)
{
	static const char *const good[] = {
		"", "plain", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"
	};
	static const char *const bad[] = { "\xff",
					   "\xfe",
					   "\xc3",
					   "\xc3(",
					   "\x80",
					   "\xc0\xaf",
					   "\xe0\x80\xaf",
					   "\xed\xa0\x80",
					   "\xf4\x90\x80\x80",
					   "\xf0\x9f\x98",
					   "a\xf8\x88\x80\x80\x80" };
	char buf[16];
	char *dup;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(utf8_valid(good[i], strlen(good[i])), "valid UTF-8 #%zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!utf8_valid(bad[i], strlen(bad[i])),
		   "invalid UTF-8 #%zu (overlong, surrogate, "
		   "cut, stray continuation, out of range)",
		   i);
	ok(utf8_valid("a\0"
		      "b",
		      3),
	   "a NUL byte is valid UTF-8");

	dup = utf8_sanitize_dup("a\xff\xfe\xc3\xa9"
				"b");
	is_str(dup,
	       "a\\xff\\xfe\xc3\xa9"
	       "b",
	       "invalid bytes become \\xNN, valid ones stay");
	ok(utf8_valid(dup, strlen(dup)), "and the result is valid");
	free(dup);
	dup = utf8_sanitize_dup("\xed\xa0\x80");
	is_str(dup, "\\xed\\xa0\\x80", "a surrogate is escaped byte by byte");
	free(dup);
	is_int(utf8_sanitize(buf, sizeof(buf),
			     "a\0"
			     "b",
			     3),
	       3, "NUL consumed");
	is_str(buf, "a\\x00b", "NUL is escaped, never truncates");

	/* 7 x "\xc3\xa9" = 14 bytes + "é" would be 16 with the NUL: cut before it */
	is_int(utf8_sanitize(buf, sizeof(buf),
			     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
			     16),
	       14, "the copy stops before a character that does not fit");
	is_int(strlen(buf), 14, "14 bytes copied");
	ok(utf8_valid(buf, strlen(buf)), "a cut copy is still valid");
	is_int(utf8_sanitize(buf, 4, "\xff", 1), 0, "an escape that does not fit is left out");
	is_str(buf, "", "leaving an empty string");
}

static void errors(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;

	unik_err_set(&err, UNIK_E_NOT_FOUND, "no such image: %s", "\xff\xfe");
	is_str(err.msg, "no such image: \\xff\\xfe", "bad bytes of an argument are escaped");
	for (int i = 0; i < 600; i++)
		strbuf_adds(&sb, "\xc3\xa9");
	unik_err_set(&err, UNIK_E_NOT_FOUND, "no such instance: %s", strbuf_str(&sb));
	ok(utf8_valid(err.msg, strlen(err.msg)), "a long message is cut on a character boundary");
	ok(strlen(err.msg) < sizeof(err.msg) && strlen(err.msg) > sizeof(err.msg) - 4,
	   "and fills the buffer (%zu bytes)", strlen(err.msg));
	unik_err_prefix(&err, "x%s", "\xc3");
	ok(utf8_valid(err.msg, strlen(err.msg)) && !strncmp(err.msg, "x\\xc3: no such", 14),
	   "prefix escapes and cuts too");
	unik_err_set(&err, UNIK_E_INVALID, "%s", "short");
	unik_err_set(&err, UNIK_E_INVALID, "%s and %s", err.msg, err.msg);
	is_str(err.msg, "short and short", "the message may be an argument of itself");
	strbuf_release(&sb);
}

/* /proc/PID/stat, also for a command name with spaces and parentheses */
static void proc_stats(void)
{
	struct proc_stat ps, again;
	pid_t child;
	int status;

	ok(proc_stat_read(getpid(), &ps) == 0, "this process's stat is read");
	is_int(ps.state, 'R', "it runs");
	is_int(ps.ppid, (int)getppid(), "its parent");
	ok(ps.start_time > 0, "its start time");
	prctl(PR_SET_NAME, "t_lib) S 1 (x");
	ok(proc_stat_read(getpid(), &again) == 0 && again.ppid == ps.ppid &&
	       again.start_time == ps.start_time,
	   "the same, with ') S 1 (' in its command name");
	prctl(PR_SET_NAME, "t_lib");
	child = fork();
	if (child == 0)
		_exit(0);
	while (proc_stat_read(child, &ps) == 0 && ps.state != 'Z')
		usleep(1000);
	is_int(ps.state, 'Z', "a child that ended is a zombie");
	waitpid(child, &status, 0);
	ok(proc_stat_read(child, &ps) < 0, "and, reaped, gone");
}

static void hex(void)
{
	char out[9];
	static const unsigned char b[] = { 0x00, 0x9f, 0xa0, 0xff };

	hex_encode(b, sizeof(b), out);
	is_str(out, "009fa0ff", "hex_encode: lower case, two digits a byte");
	hex_encode(b, 0, out);
	is_str(out, "", "hex_encode of nothing is an empty string");
	is_int(hex_digit('7'), 7, "hex_digit('7')");
	is_int(hex_digit('b'), 11, "hex_digit('b')");
	is_int(hex_digit('F'), 15, "hex_digit('F')");
	is_int(hex_digit('g'), -1, "hex_digit('g') is not a digit");
	is_int(hex_digit(0x100 + '1'), -1, "nor is a value past a byte");
	is_int(hex_pct_at("a%2Fb", 5, 1), '/', "%%2F is '/'");
	is_int(hex_pct_at("a%2fb", 5, 1), '/', "either case");
	is_int(hex_pct_at("a%2", 3, 1), -1, "a cut escape is refused");
	is_int(hex_pct_at("%2", 2, 0), -1, "at the end too");
	is_int(hex_pct_at("%g1", 3, 0), -1, "a non-digit is refused");
	is_int(hex_pct_at("x", 1, 0), -1, "no %% is no escape");
	is_int(hex_pct_at("x", 1, 5), -1, "an index past the end is refused");
}

static void host_runs(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	struct host_run_status st;
	static const char big[] = "0123456789abcdef";
	struct strbuf in = STRBUF_INIT;
	const char *sh_exit[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	const char *cat[] = { "cat", NULL };
	const char *sleeper[] = { "sleep", "10", NULL };
	const char *none[] = { "unik-no-such-tool", NULL };
	const char *env[] = { "sh", "-c", "printf %s \"$HR\"; pwd", NULL };
	const char *named[] = { "argv-zero", "-c", "printf %s \"$0\"", NULL };
	char *env_v[] = { "HR=from-env", NULL };
	struct host_run r = { .argv = sh_exit, .out = &out };

	ok(host_run(&r, &st, &err) == 0 && st.exited && st.code == 3 && !host_run_ok(&st),
	   "host_run: the exit status");
	is_str(strbuf_str(&out), "out\nerr\n", "stdout and stderr together");
	strbuf_release(&out);

	for (int i = 0; i < 20000; i++)
		strbuf_add(&in, big, sizeof(big) - 1);
	r = (struct host_run){ .argv = cat,
			       .input = in.buf,
			       .input_len = in.len,
			       .out = &out,
			       .out_max = in.len + 1 };
	ok(host_run(&r, &st, &err) == 0 && host_run_ok(&st), "cat of 320 KB of stdin");
	ok(out.len == in.len && !memcmp(out.buf, in.buf, in.len),
	   "comes back whole (stdin and stdout never deadlock)");
	strbuf_release(&out);
	r.out_max = 100;
	ok(host_run(&r, &st, &err) == 0 && out.len == 100, "out_max caps what is kept");
	strbuf_release(&out);
	strbuf_release(&in);

	r = (struct host_run){ .argv = sleeper, .timeout_ms = 200 };
	ok(host_run(&r, &st, &err) == 0 && st.timed_out && !st.exited && st.code == SIGKILL,
	   "a program past its timeout is killed");
	r = (struct host_run){ .argv = none };
	ok(host_run(&r, &st, &err) == 0 && st.not_run, "a missing program: not_run");
	r = (struct host_run){ .argv = env, .env = env_v, .cwd = "/tmp", .out = &out };
	ok(host_run(&r, &st, &err) == 0 && host_run_ok(&st), "env and cwd");
	is_str(strbuf_str(&out), "from-env/tmp\n", "the environment given and the folder");
	strbuf_release(&out);
	r = (struct host_run){ .argv = named, .path = "/bin/sh", .out = &out };
	ok(host_run(&r, &st, &err) == 0 && host_run_ok(&st), "path apart from argv[0]");
	is_str(strbuf_str(&out), "argv-zero", "argv[0] as given");
	strbuf_release(&out);
	{
		static char lots[1 << 20];
		const char *quits[] = { "true", NULL };

		r = (struct host_run){ .argv = quits, .input = lots, .input_len = sizeof(lots) };
		ok(host_run(&r, &st, &err) == 0 && host_run_ok(&st),
		   "a program that does not read 1 MB of stdin: no SIGPIPE in the caller");
	}
}

/* daemon/network_host.c and lib/elf_syms.c */
static void net_host(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct in_addr a, b, dst;
	char ifname[16], name[64];
	int prefix, fd = -1, fd2 = -1, has = 0;

	inet_pton(AF_INET, "10.87.0.0", &a);
	inet_pton(AF_INET, "10.87.0.200", &b);
	ok(nethost_overlaps(a, 24, b, 32), "an address inside the subnet overlaps it");
	inet_pton(AF_INET, "10.0.0.0", &b);
	ok(nethost_overlaps(a, 24, b, 8), "a wider network around the subnet overlaps it");
	inet_pton(AF_INET, "10.88.0.0", &b);
	ok(!nethost_overlaps(a, 24, b, 24), "the next /24 does not");
	ok(!nethost_overlaps(a, 22, b, 16), "10.87.0.0/22 and 10.88.0.0/16: apart");
	ok(nethost_is_ours("unik0", "unik0") && nethost_is_ours("unik0", "unik0s12") &&
	       !nethost_is_ours("unik0", "unik0s") && !nethost_is_ours("unik0", "unik0x1") &&
	       !nethost_is_ours("unik0", "unik"),
	   "the bridge and its segment bridges are ours, nothing else");
	ok(nethost_route_line("eth0\t0057A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", ifname,
			      &dst, &prefix) == 0 &&
	       !strcmp(ifname, "eth0") && prefix == 24 && dst.s_addr == htonl(0xC0A85700),
	   "a /proc/net/route line: 192.168.87.0/24 via eth0");
	ok(nethost_route_line("eth0 0 0 1 0 0 0 00FF00FF 0 0 0", ifname, &dst, &prefix) < 0,
	   "a mask with holes is refused");
	ok(nethost_route_line("Iface Destination Gateway", ifname, &dst, &prefix) < 0,
	   "the header is not a route");
	snprintf(name, sizeof(name), "t-lib-%d", (int)getpid());
	ok(nethost_claim(name, &fd, &err) == 0 && fd >= 0, "a bridge is claimed");
	ok(nethost_claim(name, &fd2, &err) < 0 && err.code == UNIK_E_CONFLICT && fd2 < 0,
	   "a second claim of it is a conflict");
	{
		char pid[32];

		snprintf(pid, sizeof(pid), "pid %d", (int)getpid());
		ok(strstr(err.msg, pid) != NULL, "naming the owner's pid: %s", err.msg);
	}
	close(fd);
	ok(nethost_claim(name, &fd, &err) == 0, "a claim given up can be taken again");
	close(fd);
	{
		char *self = realpath("/proc/self/exe", NULL);

		ok(self && elf_defines_function(self, "main", &has, &err) == 1 && has,
		   "elf: this program defines main");
		ok(self && elf_defines_function(self, "net_init", &has, &err) == 0 && has,
		   "elf: ... and not net_init, with a symbol table");
		free(self);
	}
	ok(elf_defines_function("/etc/passwd", "main", &has, &err) < 0 &&
	       err.code == UNIK_E_INVALID,
	   "elf: a file that is not ELF is INVALID");
}

int main(void)
{
	net_host();
	hex();
	host_runs();
	proc_stats();
	utf8();
	errors();
	strings();
	config();
	bootargs();
	files();
	remove_trees();
	safe_opens();
	return tap_done();
}

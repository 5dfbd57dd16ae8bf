/* t_lib.c - strbuf, strv, config, bootargs, fsutil. */
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/bootargs.h"
#include "../../lib/config.h"
#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"
#include "../../lib/strv.h"
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

int main(void)
{
	strings();
	config();
	bootargs();
	files();
	return tap_done();
}

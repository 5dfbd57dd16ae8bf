/* t_compose.c - the compose file's YAML tree and model (cmd/compose_yaml.c,
 * cmd/compose_model.c): aliases and their bounds, start order, word
 * splitting, defaults, and the errors' lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cmd/compose_model.h"
#include "../../cmd/compose_yaml.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "tap.h"

static char dir[] = "/tmp/t_compose.XXXXXX";

/* Loads `yaml` as DIR/NAME/compose.yaml; 0 or -1 with err. */
static int load(struct compose_project *p, const char *name, const char *yaml, struct unik_err *err)
{
	char *d = xasprintf("%s/%s", dir, name), *f = xasprintf("%s/compose.yaml", d);
	FILE *fp;
	int rc;

	mkdir(d, 0700);
	fp = fopen(f, "w");
	fputs(yaml, fp);
	fclose(fp);
	unik_err_clear(err);
	rc = compose_load(p, f, NULL, err);
	free(d);
	free(f);
	return rc;
}

static void test_yaml(void)
{
	struct cy_doc doc;
	struct unik_err err = UNIK_ERR_INIT;
	const char *y = "a: &x [1, 2, {k: v}]\nb: *x\nc: ~\nd: ''\n";

	ok(cy_load(&doc, "m", y, strlen(y), &err) == 0, "a document with an alias loads");
	ok(cy_get(doc.root, "b") == cy_get(doc.root, "a"), "the alias is its anchor's node");
	ok(doc.root->weight == 1 + 5 + 5 + 1 + 1, "its weight counts the alias expanded (%zu)",
	   doc.root->weight);
	ok(cy_is_null(cy_get(doc.root, "c")), "~ is null");
	ok(!cy_is_null(cy_get(doc.root, "d")), "a quoted empty string is not");
	cy_release(&doc);

	y = "a: 1\na: 2\n";
	ok(cy_load(&doc, "m", y, strlen(y), &err) < 0 && strstr(err.msg, "m:2: duplicate key 'a'"),
	   "a duplicate key is refused with its line: %s", err.msg);
	cy_release(&doc);
	y = "a: &x [*x]\n";
	ok(cy_load(&doc, "m", y, strlen(y), &err) < 0 && strstr(err.msg, "unknown alias"),
	   "an alias inside its own anchor is unknown (no cycle)");
	cy_release(&doc);
	y = "{[a]: 1}\n";
	ok(cy_load(&doc, "m", y, strlen(y), &err) < 0 && strstr(err.msg, "a key must be"),
	   "a key that is a list is refused");
	cy_release(&doc);
	ok(cy_load(&doc, "m", "a\0b: 1", 6, &err) < 0, "a NUL byte is refused");
	cy_release(&doc);
}

static void test_words(void)
{
	struct strv w = STRV_INIT;

	ok(compose_split_words("  a 'b c'  \"d \\\"e\\\"\" f\\ g h'i'j ", &w) == 0 && w.n == 5,
	   "words split (%zu)", w.n);
	if (w.n == 5) {
		is_str(w.v[0], "a", "plain");
		is_str(w.v[1], "b c", "single quotes");
		is_str(w.v[2], "d \"e\"", "double quotes with escapes");
		is_str(w.v[3], "f g", "an escaped blank");
		is_str(w.v[4], "hij", "quotes inside a word");
	}
	strv_release(&w);
	ok(compose_split_words("a 'b", &w) < 0, "an unterminated quote");
	strv_release(&w);
	ok(compose_split_words("''", &w) == 0 && w.n == 1 && !*w.v[0], "an empty quoted word");
	strv_release(&w);
}

static void test_model(void)
{
	struct compose_project p;
	struct unik_err err = UNIK_ERR_INIT;
	const char *order;
	struct strbuf sb = STRBUF_INIT;

	/* a diamond: d after b and c, which come after a */
	ok(load(&p, "Dia_mond",
		"x-base: &base {image: img}\n"
		"services:\n"
		"  d: {image: img, depends_on: [b, c]}\n"
		"  c: {<<: *base}\n",
		&err) < 0 &&
	       strstr(err.msg, "unknown key '<<'"),
	   "merge keys are refused: %s", err.msg);
	compose_release(&p);
	ok(load(&p, "Dia_mond",
		"x-base: &base img\n"
		"services:\n"
		"  d: {image: *base, depends_on: [b, c]}\n"
		"  c: {image: *base, depends_on: {a: {condition: service_started}}}\n"
		"  b: {image: *base, depends_on: [a]}\n"
		"  a: {image: *base, command: \"x 'y z'\"}\n"
		"volumes: {v: , w: {name: given, x-unik: {size: 2M, type: fat}}}\n",
		&err) == 0,
	   "a diamond loads: %s", err.msg);
	for (size_t i = 0; i < p.n_services; i++)
		strbuf_adds(&sb, p.services[i].name);
	order = strbuf_str(&sb);
	ok(!strcmp(order, "acbd") || !strcmp(order, "abcd"), "start order %s", order);
	is_str(p.name, "dia_mond", "the project is the folder's name, lowercased");
	is_str(compose_service(&p, "d")->image, "img", "an alias as a value");
	ok(compose_service(&p, "a")->command.n == 2, "command split");
	ok(p.n_volumes == 2, "two volumes");
	if (p.n_volumes == 2) {
		is_str(p.volumes[0].name, "dia_mond_v", "PROJECT_KEY");
		ok(p.volumes[0].size == 64LL << 20, "64M by default");
		is_str(p.volumes[1].name, "given", "a given name");
		ok(p.volumes[1].size == 2LL << 20, "a given size");
		is_str(p.volumes[1].type, "fat", "a given type");
	}
	compose_release(&p);
	strbuf_release(&sb);

	ok(load(&p, "e1", "services:\n  a:\n    image: x\n    ports:\n      - 80\n", &err) < 0 &&
	       strstr(err.msg, "compose.yaml:5: ports of service 'a'"),
	   "a port without HOST: is refused at its line: %s", err.msg);
	compose_release(&p);
	ok(load(&p, "e2", "services:\n  a:\n", &err) < 0 && strstr(err.msg, "needs build or image"),
	   "a service needs build or image");
	compose_release(&p);
	ok(load(&p, "e3", "services:\n  a: {image: x, x-unik: {cpus: 2}}\n", &err) < 0 &&
	       strstr(err.msg, "unknown key 'cpus' in x-unik"),
	   "x-unik keys are checked");
	compose_release(&p);
	ok(load(&p, "e4", "services:\n  a: {image: x, x-other: {anything: 1}}\n", &err) == 0,
	   "other x- keys are ignored");
	compose_release(&p);
	ok(load(&p, "e5", "services: []\n", &err) < 0 && strstr(err.msg, "services must be a map"),
	   "services must be a map");
	compose_release(&p);
	ok(load(&p, "e10", "services: {}\n", &err) < 0 && strstr(err.msg, "no services"),
	   "no services");
	compose_release(&p);
	ok(load(&p, "e6", "", &err) < 0 && strstr(err.msg, "empty"), "an empty file");
	compose_release(&p);
	ok(load(&p, "e7", "name: Upper\nservices: {a: {image: x}}\n", &err) < 0 &&
	       strstr(err.msg, "bad project name"),
	   "a bad name: key");
	compose_release(&p);
	ok(load(&p, "e8",
		"services:\n  a: {image: x, environment: {A: '1', B: 2}, env_file: [nope.env]}\n",
		&err) < 0 &&
	       strstr(err.msg, "env_file of service 'a'"),
	   "a missing env_file: %s", err.msg);
	compose_release(&p);
	ok(load(&p, "e9", "services:\n  a: {image: x, environment: {A: '1', B: 2, C: }}\n", &err) ==
		   0 &&
	       p.services[0].env.n == 2,
	   "a map environment; a null value without the shell's is left out");
	compose_release(&p);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	unsetenv("COMPOSE_PROJECT_NAME");
	unsetenv("C");
	test_yaml();
	test_words();
	test_model();
	fs_remove_tree(dir, NULL);
	return tap_done();
}

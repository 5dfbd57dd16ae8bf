/* fuzz_compose.c - the compose file reader (cmd/compose_yaml.c, through
 * libyaml) and its model (cmd/compose_model.c): the input is a user's
 * compose.yaml, or one somebody handed them.
 * Promises checked:
 *   - the tree stays within its bounds: a root standing for at most
 *     COMPOSE_NODES_MAX nodes once aliases are counted, every node with a
 *     line inside the file;
 *   - a refused file always says why (a message, with its line);
 *   - the model loads the same file without crashing, and a project it
 *     accepts has services with names;
 *   - the word splitter used for `command:` strings never makes more words
 *     than the text has bytes.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../cmd/compose_model.h"
#include "../../cmd/compose_yaml.h"
#include "../../lib/strv.h"
#include "fuzz.h"

static void check_lines(const struct cy_doc *doc, int lines)
{
	for (size_t i = 0; i < doc->n_all; i++)
		FUZZ_CHECK(doc->all[i]->line >= 1 && doc->all[i]->line <= lines + 1,
			   "a node at line %d of a %d-line file", doc->all[i]->line, lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct cy_doc doc;
	struct compose_project p;
	struct strv words = STRV_INIT;
	char path[64], *text;
	int lines = 1, fd;

	/* an upper bound of libyaml's line breaks: \n, \r, and the bytes
	 * ending NEL, LS and PS in UTF-8 */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 ||
			 data[i] == 0xa9;
	memset(&doc, 0, sizeof(doc));
	if (cy_load(&doc, "fuzz.yaml", (const char *)data, size, &err) == 0) {
		FUZZ_CHECK(!doc.root || doc.root->weight <= COMPOSE_NODES_MAX,
			   "a root standing for %zu nodes", doc.root->weight);
		check_lines(&doc, lines);
	} else {
		FUZZ_CHECK(err.msg[0], "a refused file without a message");
	}
	cy_release(&doc);

	/* the model reads a file: the same bytes through a memfd.  Its
	 * env_file entries name files it reads (bounded, ENV_FILE_MAX): a file
	 * naming one is left to the tree's checks, so the fuzzer never reads
	 * the host's devices (/dev/stdin would block it) */
	fd = memmem(data, size, "env_file", 8) ? -1 : memfd_create("compose", MFD_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			memset(&p, 0, sizeof(p));
			unik_err_clear(&err);
			if (compose_load(&p, path, "fuzz", &err) == 0) {
				for (size_t i = 0; i < p.n_services; i++)
					FUZZ_CHECK(p.services[i].name && p.services[i].name[0],
						   "service %zu without a name", i);
				compose_release(&p);
			} else {
				FUZZ_CHECK(err.msg[0], "a refused project without a message");
			}
		}
		close(fd);
	}

	text = strndup((const char *)data, size);
	if (text && compose_split_words(text, &words) == 0)
		FUZZ_CHECK(words.n <= strlen(text), "%zu words from %zu bytes", words.n,
			   strlen(text));
	strv_release(&words);
	free(text);
	return 0;
}

/* fuzz_mount_spec.c - a volume mount spec (api/volumes.c
 * unik_mount_spec_parse(): `-v VOLUME:/PATH[:ro|:rw]`, and the path check
 * the daemon runs on a run request's mounts).
 *
 * Input: the spec as a JSON string carries it (valid UTF-8, no NUL).
 * Promises checked:
 *   - a refusal is INVALID, sendable as a JSON error, and returns nothing;
 *   - an accepted spec gives a non-empty volume without ':' and a path that
 *     is absolute, not '/', without a control byte, ':', trailing '/', empty,
 *     '.' or '..' component, not at or below /proc or /dev, and passes
 *     unik_mount_path_check() alone; VOLUME:PATH[:ro] parses back the same.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/types.h"
#include "../../api/volumes.h"
#include "../../lib/xalloc.h"
#include "fuzz.h"

static int under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *s, *vol = (char *)1, *path = (char *)1, *canon, *v2, *p2;
	int ro = -1, ro2;

	if (!fuzz_json_string_ok(data, size))
		return 0;
	s = fuzz_cstr(data, size);
	if (unik_mount_spec_parse(s, &vol, &path, &ro, &err)) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK(err.code == UNIK_E_INVALID && text, "'%s': the refusal cannot be sent",
			   s);
		FUZZ_CHECK(!vol && !path, "'%s': a refusal returns parts", s);
		free(text);
		json_decref(j);
		free(s);
		return 0;
	}
	FUZZ_CHECK(*vol && !strchr(vol, ':'), "'%s': volume '%s'", s, vol);
	FUZZ_CHECK(path[0] == '/' && path[1] && path[strlen(path) - 1] != '/' &&
		       !strchr(path, ':') && !strstr(path, "//") && !strstr(path, "/./") &&
		       !strstr(path, "/../") &&
		       strcmp(path + strlen(path) - (strlen(path) > 1 ? 2 : 0), "/.") &&
		       (strlen(path) < 3 || strcmp(path + strlen(path) - 3, "/..")) &&
		       !under(path, "/proc") && !under(path, "/dev"),
		   "'%s': path '%s'", s, path);
	for (const char *p = path; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "'%s': a control byte kept", s);
	FUZZ_CHECK(unik_mount_path_check(path, &err) == 0, "'%s': '%s' fails the check alone", s,
		   path);
	FUZZ_CHECK(ro == 0 || ro == 1, "read_only %d", ro);
	canon = xasprintf("%s:%s%s", vol, path, ro ? ":ro" : "");
	FUZZ_CHECK(unik_mount_spec_parse(canon, &v2, &p2, &ro2, &err) == 0 && !strcmp(v2, vol) &&
		       !strcmp(p2, path) && ro2 == ro,
		   "'%s': '%s' parses to another mount", s, canon);
	free(v2);
	free(p2);
	free(canon);
	free(vol);
	free(path);
	free(s);
	return 0;
}

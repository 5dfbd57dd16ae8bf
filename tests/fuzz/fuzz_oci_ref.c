/* fuzz_oci_ref.c - registry references (api/oci_ref.c), as a push's
 * "target" or a pull's "source" brings them.
 *
 * Input: the reference as a JSON string carries it (valid UTF-8, no NUL;
 * other inputs are skipped).
 * Promises checked:
 *   - an accepted reference has a registry, a repository and a tag, none
 *     holding '/' where it may not, ':' or '@' in the repository, or a
 *     control byte; REGISTRY/REPO:TAG parses back to the same three;
 *   - the image name a pull gives it, if any, is a valid unik name;
 *   - a refused reference gets an error that can be sent as a JSON body.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/oci_ref.h"
#include "../../api/types.h"
#include "../../lib/xalloc.h"
#include "fuzz.h"

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_ref r, again;
	char *s, *canon, *name;

	if (!fuzz_json_string_ok(data, size))
		return 0;
	s = fuzz_cstr(data, size);
	if (oci_ref_parse(s, &r, &err)) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK(err.code == UNIK_E_INVALID && text,
			   "'%s': the refusal cannot be sent: \"%s\"", s, err.msg);
		free(text);
		json_decref(j);
		free(s);
		return 0;
	}
	FUZZ_CHECK(*r.registry && *r.repo && *r.tag, "'%s': an empty part", s);
	FUZZ_CHECK(!strchr(r.registry, '/') && !strchr(r.repo, ':') && !strchr(r.repo, '@') &&
		       !strchr(r.tag, '/') && !strchr(r.tag, ':'),
		   "'%s': a separator inside a part (%s | %s | %s)", s, r.registry, r.repo, r.tag);
	FUZZ_CHECK(!has_ctl(r.registry) && !has_ctl(r.repo) && !has_ctl(r.tag),
		   "'%s': a control byte kept", s);
	FUZZ_CHECK(!r.digest || (strlen(r.digest) == 71 && !strncmp(r.digest, "sha256:", 7) &&
				 strspn(r.digest + 7, "0123456789abcdef") == 64),
		   "'%s': a bad digest kept: %s", s, r.digest);
	canon = xasprintf("%s/%s:%s%s%s", r.registry, r.repo, r.tag, r.digest ? "@" : "",
			  r.digest ? r.digest : "");
	FUZZ_CHECK(oci_ref_parse(canon, &again, &err) == 0, "'%s': '%s' refused: %s", s, canon,
		   err.msg);
	FUZZ_CHECK(!strcmp(again.registry, r.registry) && !strcmp(again.repo, r.repo) &&
		       !strcmp(again.tag, r.tag) && !again.digest == !r.digest &&
		       (!r.digest || !strcmp(again.digest, r.digest)),
		   "'%s': '%s' parses to another reference", s, canon);
	name = oci_ref_image_name(&r);
	FUZZ_CHECK(!name || unik_name_valid(name), "'%s': image name '%s' is not valid", s, name);
	free(name);
	free(canon);
	oci_ref_release(&again);
	oci_ref_release(&r);
	free(s);
	return 0;
}

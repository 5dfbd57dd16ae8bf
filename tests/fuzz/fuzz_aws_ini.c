/* fuzz_aws_ini.c - the AWS CLI's INI files as providers/aws/aws_creds.c reads
 * them (~/.aws/credentials and ~/.aws/config are outside input).
 *
 * Input: the file's bytes.
 * Promises checked:
 *   - a refused file gets UNIK_E_INVALID and a sendable message;
 *   - a value found is trimmed (no leading or trailing blank), holds no
 *     control byte but tab, and fits a line.
 */
#include <jansson.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../api/types.h"
#include "../../providers/aws/aws_creds.h"
#include "fuzz.h"

static const char *const wants[][2] = {
	{ "default", "aws_access_key_id" },
	{ "profile dev", "region" },
	{ "dev", "aws_session_token" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("aws-ini", MFD_CLOEXEC);
	char path[64];

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < sizeof(wants) / sizeof(*wants); i++) {
		struct unik_err err = UNIK_ERR_INIT;
		char *v = NULL;

		if (aws_ini_get(path, wants[i][0], wants[i][1], &v, &err) < 0) {
			json_t *j = unik_error_to_json(&err);
			char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

			FUZZ_CHECK(err.code == UNIK_E_INVALID && !v, "refusal with code %d",
				   err.code);
			FUZZ_CHECK(text, "refusal cannot be sent as JSON: \"%s\"", err.msg);
			free(text);
			json_decref(j);
			continue;
		}
		if (!v)
			continue;
		size_t n = strlen(v);

		FUZZ_CHECK(n <= AWS_INI_MAX_LINE, "value of %zu bytes", n);
		FUZZ_CHECK(!n || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' &&
				  v[n - 1] != '\t' && v[n - 1] != '\r'),
			   "value '%s' not trimmed", v);
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK((unsigned char)v[k] >= 0x20 || v[k] == '\t',
				   "control byte in value");
		free(v);
	}
	close(fd);
	return 0;
}

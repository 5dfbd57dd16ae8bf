/* aws_creds.h - AWS credentials, region and endpoint found as the AWS CLI
 * finds them.
 *
 * Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 * else the profile (AWS_PROFILE, else "default") in the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), else in the
 * config file (AWS_CONFIG_FILE, else ~/.aws/config, sections "[profile x]"
 * and "[default]"), else IMDSv2 (the instance role) unless
 * AWS_EC2_METADATA_DISABLED=true; AWS_EC2_METADATA_SERVICE_ENDPOINT moves it
 * (default http://169.254.169.254).
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`.
 * Endpoint override: AWS_ENDPOINT_URL, the profile's `endpoint_url`.
 */
#ifndef UNIK_AWS_CREDS_H
#define UNIK_AWS_CREDS_H

#include "lib/error.h"

#define AWS_INI_MAX_FILE (1 << 20)
#define AWS_INI_MAX_LINE 4096

struct aws_creds {
	char *access_key;
	char *secret_key;
	char *session_token; /* NULL: none */
	char *region; /* NULL: none configured */
	char *endpoint; /* NULL: the service's own */
	char *profile;
	const char *source; /* "env", "credentials-file", "config-file", "imds" */
};

/* Fills `out` from the environment `envp` (KEY=VALUE strings, NULL-ended,
 * like environ) and the files and services it names.  No credentials found,
 * or a file that is malformed (UNIK_E_INVALID, with file and line) fail. */
int aws_creds_load(char *const *envp, struct aws_creds *out, struct unik_err *err);
void aws_creds_free(struct aws_creds *c);

/* One key of one section of an INI file as the AWS CLI reads it: NULL in
 * *value (and 0) when the file, section or key is absent; -1 when the file
 * is malformed or too big. */
int aws_ini_get(const char *path, const char *section, const char *key, char **value,
		struct unik_err *err);

/* IMDSv2 at `base` ("http://host[:port]"): token, role, the role's keys. */
int aws_imds_creds(const char *base, struct aws_creds *out, struct unik_err *err);

#endif

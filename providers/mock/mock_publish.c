/* mock_publish.c - mock's images on its own side (see mock.h): a copy is
 * the file "copy" in the publication's folder, holding the image's id, and
 * its reference "mock-image-<12 hex of the digest>"; the copies there now
 * are also counted in memory for the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "mock_int.h"

static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;
static int copies;

int mock_publish(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		 struct unik_err *err)
{
	char *path;
	int rc;

	if (mock_enter(&unik_provider_mock, MOCK_PUBLISH, err))
		return -1;
	if (!spec->digest || strncmp(spec->digest, "sha256:", 7) || strlen(spec->digest) < 19)
		return unik_err_set(err, UNIK_E_INVALID, "mock: image %s has no digest",
				    spec->image_id);
	if (spec->progress)
		spec->progress(spec->progress_ctx, "mock: copying the image");
	path = xasprintf("%s/copy", spec->dir);
	rc = fs_write_file_atomic(path, spec->image_id, strlen(spec->image_id), 0600, err);
	free(path);
	if (rc)
		return -1;
	snprintf(ref, ref_size, "mock-image-%.12s", spec->digest + 7);
	pthread_mutex_lock(&publish_lock);
	copies++;
	pthread_mutex_unlock(&publish_lock);
	return 0;
}

int mock_unpublish(const struct unik_publish_spec *spec, const char *ref, struct unik_err *err)
{
	char *path;
	int gone;

	if (mock_enter(&unik_provider_mock, MOCK_UNPUBLISH, err))
		return -1;
	if (strncmp(ref, "mock-image-", 11))
		return unik_err_set(err, UNIK_E_INVALID, "mock: %s is not a reference of mine",
				    ref);
	path = xasprintf("%s/copy", spec->dir);
	gone = unlink(path) == 0;
	free(path);
	if (gone) {
		pthread_mutex_lock(&publish_lock);
		copies--;
		pthread_mutex_unlock(&publish_lock);
	}
	return 0;
}

int mock_published(void)
{
	int n;

	pthread_mutex_lock(&publish_lock);
	n = copies;
	pthread_mutex_unlock(&publish_lock);
	return n;
}

void mock_publish_reset(void)
{
	pthread_mutex_lock(&publish_lock);
	copies = 0;
	pthread_mutex_unlock(&publish_lock);
}

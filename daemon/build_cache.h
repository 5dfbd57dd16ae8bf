/* build_cache.h - the build cache: an unchanged source folder built with
 * the same options gives the image built before, without compiling.
 *
 * The key is a sha256 over the source archive's entries as they are read
 * (path, type, permission bits, link target, content; no times, owners or
 * compression, so repacking the same folder gives the same key), the build
 * options that change the image (compiler, memory, default arguments,
 * labels) and the daemon's version.  An entry is a file
 * <state>/build-cache/<hex key> holding the image id; it counts only while
 * that image exists.  Host toolchain upgrades are not part of the key
 * (remove the folder, or the image, to rebuild). */
#ifndef UNIKD_BUILD_CACHE_H
#define UNIKD_BUILD_CACHE_H

#include "../lib/error.h"

struct unikd;
struct build_request;

/* The key of building the archive `tar_path` with br's options ("auto"
 * when br->compiler is NULL): 64 hex characters, caller frees.  -1 with
 * err when the archive cannot be read. */
int build_cache_key(const char *tar_path, const struct build_request *br, char **key,
		    struct unik_err *err);
/* The image id recorded for `key` (caller frees), or NULL. */
char *build_cache_lookup(struct unikd *d, const char *key);
/* Records `image_id` for `key`; a failure is only logged (a later build
 * compiles again). */
void build_cache_store(struct unikd *d, const char *key, const char *image_id);

#endif

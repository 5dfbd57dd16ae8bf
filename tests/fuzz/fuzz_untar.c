/* fuzz_untar.c - upload extraction (daemon/untar.c untar_safe).
 *
 * Input: the uploaded archive (tar, maybe gzip/bzip2/xz-compressed).  Each
 * input is extracted into a fresh folder `d` inside a folder `p` that also
 * holds a canary file, all in a fresh temporary folder (on tmpfs when there
 * is one; FUZZ_TMPDIR chooses) removed afterwards.  A custom mutator fixes
 * the header checksum of every ustar header block after mutating, so the
 * mutations reach the extraction rather than the checksum test.
 * Promises checked (untar.h):
 *   - a refused archive gets an error that can be sent as a JSON error body;
 *   - nothing is written outside `d` (p holds only d and the unchanged
 *     canary; no file inside d is a hard link to a file outside it);
 *   - an accepted archive wrote at most the limit in logical file sizes
 *     (sparse holes count), and every symlink in the tree that resolves,
 *     resolves inside it;
 *   - the tree can be removed (fs_remove_tree).
 */

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../api/types.h"
#include "../../daemon/untar.h"
#include "../../lib/fsutil.h"
#include "fuzz.h"

#define MAX_BYTES (256 * 1024)
#define CANARY "canary: must stay as it is\n"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *tmp_root;
static char base[PATH_MAX], archive[PATH_MAX], parent[PATH_MAX], dest[PATH_MAX], canary[PATH_MAX];

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	(void)seed;
	size = LLVMFuzzerMutate(data, size, max_size);
	fuzz_tar_fix_checksums(data, size);
	return size;
}

/* ---- the walk -------------------------------------------------------- */

static struct {
	char root[PATH_MAX];
	long long bytes;
	struct stat canary;
	int escaped; /* a symlink resolving outside the tree */
	char what[PATH_MAX + 64];
	struct {
		dev_t dev;
		ino_t ino;
		nlink_t nlink, seen;
	} inodes[256];
	int ninodes, too_many;
} walk;

static int inside(const char *real)
{
	size_t n = strlen(walk.root);

	return !strncmp(real, walk.root, n) && (real[n] == 0 || real[n] == '/');
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_SL) {
		char *real = realpath(path, NULL);

		if (real && !inside(real) && !walk.escaped) {
			walk.escaped = 1;
			snprintf(walk.what, sizeof(walk.what), "%s -> %s", path, real);
		}
		free(real);
	} else if (type == FTW_F && S_ISREG(st->st_mode)) {
		int i;

		walk.bytes += st->st_size;
		FUZZ_CHECK(st->st_dev != walk.canary.st_dev || st->st_ino != walk.canary.st_ino,
			   "%s is a hard link to the canary outside the tree", path);
		if (st->st_nlink < 2)
			return 0;
		for (i = 0; i < walk.ninodes; i++)
			if (walk.inodes[i].dev == st->st_dev && walk.inodes[i].ino == st->st_ino)
				break;
		if (i == walk.ninodes) {
			if (i == (int)(sizeof(walk.inodes) / sizeof(walk.inodes[0]))) {
				walk.too_many = 1;
				return 0;
			}
			walk.inodes[i].dev = st->st_dev;
			walk.inodes[i].ino = st->st_ino;
			walk.inodes[i].nlink = st->st_nlink;
			walk.inodes[i].seen = 0;
			walk.ninodes++;
		}
		walk.inodes[i].seen++;
	}
	return 0;
}

/* p holds exactly d and the canary, unchanged. */
static void check_parent(void)
{
	DIR *dir = opendir(parent);
	struct dirent *e;
	char buf[sizeof(CANARY) + 8];
	int fd, n = 0;
	ssize_t r;

	FUZZ_CHECK(dir, "the parent folder is gone");
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		FUZZ_CHECK(!strcmp(e->d_name, "d") || !strcmp(e->d_name, "canary"),
			   "extraction wrote '%s' beside the destination", e->d_name);
		n++;
	}
	closedir(dir);
	FUZZ_CHECK(n == 2, "the canary or the destination is gone");
	fd = open(canary, O_RDONLY | O_NOFOLLOW);
	FUZZ_CHECK(fd >= 0, "the canary was replaced");
	r = read(fd, buf, sizeof(buf));
	close(fd);
	FUZZ_CHECK(r == (ssize_t)strlen(CANARY) && !memcmp(buf, CANARY, (size_t)r),
		   "the canary was changed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tmp_root = getenv("FUZZ_TMPDIR");
	if (!tmp_root)
		tmp_root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	return 0;
}

/* A fresh folder for this input. */
static void make_base(void)
{
	snprintf(base, sizeof(base), "%s/fuzz-untar.XXXXXX", tmp_root);
	FUZZ_CHECK(mkdtemp(base), "cannot make a folder in %s", tmp_root);
	snprintf(archive, sizeof(archive), "%s/upload", base);
	snprintf(parent, sizeof(parent), "%s/p", base);
	snprintf(dest, sizeof(dest), "%s/p/d", base);
	snprintf(canary, sizeof(canary), "%s/p/canary", base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	long files = 0;
	int fd, rc;

	make_base();
	fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && close(fd) == 0,
		   "cannot write the archive");
	FUZZ_CHECK(mkdir(parent, 0755) == 0 && mkdir(dest, 0755) == 0, "cannot make the folders");
	fd = open(canary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0 && write(fd, CANARY, strlen(CANARY)) == (ssize_t)strlen(CANARY) &&
		       close(fd) == 0,
		   "cannot write the canary");

	rc = untar_safe(archive, dest, MAX_BYTES, &files, &err);
	if (rc) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK(text, "the extraction error cannot be sent as JSON: \"%s\"", err.msg);
		free(text);
		json_decref(j);
	}
	check_parent();
	if (rc == 0) {
		char *root = realpath(dest, NULL);

		FUZZ_CHECK(root, "the destination is gone");
		memset(&walk, 0, sizeof(walk));
		snprintf(walk.root, sizeof(walk.root), "%s", root);
		free(root);
		FUZZ_CHECK(stat(canary, &walk.canary) == 0, "the canary is gone");
		FUZZ_CHECK(files >= 1, "an accepted archive wrote %ld entries", files);
		FUZZ_CHECK(nftw(dest, visit, 16, FTW_PHYS) == 0, "cannot walk the tree");
		FUZZ_CHECK(walk.bytes <= MAX_BYTES,
			   "an accepted archive wrote %lld bytes of files, over the limit of %d",
			   walk.bytes, MAX_BYTES);
		FUZZ_CHECK(!walk.escaped, "a symlink resolves outside the tree: %s", walk.what);
		for (int i = 0; i < walk.ninodes && !walk.too_many; i++)
			FUZZ_CHECK(walk.inodes[i].seen == walk.inodes[i].nlink,
				   "a file in the tree is hard-linked outside it");
	}
	FUZZ_CHECK(fs_remove_tree(parent, &err) == 0, "cannot remove the tree: %s", err.msg);
	FUZZ_CHECK(access(parent, F_OK) < 0, "the tree is still there after removal");
	FUZZ_CHECK(unlink(archive) == 0 && rmdir(base) == 0, "cannot remove %s", base);
	return 0;
}

/* files.h - the files an image carries: the folder's files/ subfolder, and
 * the entries of an optional unik.json manifest:
 *
 *   { "files": { "/etc/app.conf": "config/app.conf", "/srv/www": "public" },
 *     "readonly": ["/etc"], "overlay_size": "16M" }
 *
 * "files" maps absolute guest paths to files or folders of the source folder
 * (never outside it).  "readonly" names packed paths the program may not
 * change (EROFS), "overlay_size" caps what it may write (bytes with K/M/G,
 * or "N%" of the guest's memory); both reach the runtime as the packed file
 * /.unik/fs.  Shared by the compilers that pack files (c, linux). */
#ifndef UNIK_COMPILER_FILES_H
#define UNIK_COMPILER_FILES_H

#include "../compiler.h"

/* The tree to pack at the guest's "/" (caller frees): src/files as it is
 * when there is no unik.json, else a staging folder in spec->work_dir with
 * files/ and the manifest's entries.  The tree may not exist (no files).
 * INVALID with a message naming unik.json and the entry on a bad manifest. */
int compiler_files_tree(const struct unik_build_spec *spec, char **tree, struct unik_err *err);

/* Opens that tree for reading by descriptor: beneath the folder that holds
 * it (src_dir or work_dir, opened with O_NOFOLLOW), so a files/ that is a
 * symlink out of the source folder is refused (INVALID).  *fd is -1 (and 0
 * returned) when there is no tree. */
int compiler_files_open(const char *tree, int *fd, struct unik_err *err);

/* Before the build: tells spec->log about the regular files at the top of
 * the source folder that are neither sources nor build files (data.txt,
 * index.html): they are not in the image, which carries files/ and the
 * manifest's entries only. */
void compiler_files_note_strays(const struct unik_build_spec *spec);

/* After compiler_files_tree: the line saying what is packed at the guest's
 * "/" (caller frees): "files packed read-only at /: files/" (and unik.json's
 * entries), or that nothing is. */
char *compiler_files_summary(const struct unik_build_spec *spec, const char *tree);

#endif

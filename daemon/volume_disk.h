/* volume_disk.h - the disk files of volumes (docs/volumes.md).
 *
 * A volume's data is one raw disk image, its master, in the state dir:
 * volumes/<id>/disk.raw (mutable: never in the blob store).  Instances
 * that mount it read-write are given the master itself; read-only mounts
 * on a provider configured for another format ("<p>.volume_format") get a
 * copy converted with qemu-img, made when first needed and kept beside the
 * master as disk.<generation>.<format> until the master changes (a
 * read-write start bumps the volume's generation).
 *
 * Disks are made without root and without loop devices: mke2fs -d
 * (ext2/ext4) or mformat + mcopy (fat) write a plain file.  Content that
 * comes from the user (an uploaded folder) is only ever read by those
 * tools inside the build sandbox (lib/sandbox.h), like a build's sources.
 */
#ifndef UNIKD_VOLUME_DISK_H
#define UNIKD_VOLUME_DISK_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;

/* volumes/<id> and its master disk.raw (caller frees). */
char *volume_dir(struct unikd *d, const char *id);
char *volume_master_path(struct unikd *d, const char *id);

/* Makes a disk of file system `type` at `out` (a new file).  With
 * `content` (a folder inside `work_dir`, which the sandbox is opened over)
 * the disk holds a copy of it, made in the sandbox; else it is empty and
 * the tool runs directly (no user input reaches it).  *size is the size in
 * bytes (a whole number of MiB); 0 with content: as much as the content
 * needs with room to spare.  INVALID when the content does not fit. */
int volume_disk_make(struct unikd *d, const char *type, long long *size, const char *work_dir,
		     const char *content, const char *out, struct unik_err *err);

/* The disk file of `v` in `format` (caller frees): the master for "raw",
 * else its converted copy of the current generation, made now if missing
 * (older copies are removed). */
char *volume_disk_for(struct unikd *d, const struct unik_volume *v, const char *format,
		      struct unik_err *err);

/* At start: removes the folders under volumes/ that no volume record
 * names (a create or removal cut short). */
int volumes_reconcile(struct unikd *d, struct unik_err *err);

#endif

/* archive_dyn.h - libarchive, opened by the first command that reads or
 * writes a tar (dynload.h).  Include this instead of <archive.h> and
 * <archive_entry.h>; call archive_dyn_load() first. */
#ifndef UNIK_CMD_ARCHIVE_DYN_H
#define UNIK_CMD_ARCHIVE_DYN_H

#include <archive.h>
#include <archive_entry.h>

#include "../lib/error.h"

#define ARCHIVE_DYN_FNS(X)                                                                         \
	X(archive_entry_copy_pathname)                                                             \
	X(archive_entry_copy_stat)                                                                 \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_free)                                                                      \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_new)                                                                       \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_set_gid)                                                                   \
	X(archive_entry_set_gname)                                                                 \
	X(archive_entry_set_nlink)                                                                 \
	X(archive_entry_set_pathname)                                                              \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_set_symlink)                                                               \
	X(archive_entry_set_uid)                                                                   \
	X(archive_entry_set_uname)                                                                 \
	X(archive_error_string)                                                                    \
	X(archive_read_data_block)                                                                 \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_support_format_tar)                                                         \
	X(archive_write_add_filter_gzip)                                                           \
	X(archive_write_close)                                                                     \
	X(archive_write_data)                                                                      \
	X(archive_write_data_block)                                                                \
	X(archive_write_disk_new)                                                                  \
	X(archive_write_disk_set_options)                                                          \
	X(archive_write_finish_entry)                                                              \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_open)                                                                      \
	X(archive_write_set_bytes_in_last_block)                                                   \
	X(archive_write_set_format_pax_restricted)

struct archive_dyn {
#define ARCHIVE_DYN_MEMBER(f) __typeof__(f) *f;
	ARCHIVE_DYN_FNS(ARCHIVE_DYN_MEMBER)
#undef ARCHIVE_DYN_MEMBER
};

extern struct archive_dyn archive_dyn;

/* Opens libarchive.so.13 (once). */
int archive_dyn_load(struct unik_err *err);

#define archive_entry_copy_pathname (*archive_dyn.archive_entry_copy_pathname)
#define archive_entry_copy_stat (*archive_dyn.archive_entry_copy_stat)
#define archive_entry_filetype (*archive_dyn.archive_entry_filetype)
#define archive_entry_free (*archive_dyn.archive_entry_free)
#define archive_entry_hardlink (*archive_dyn.archive_entry_hardlink)
#define archive_entry_new (*archive_dyn.archive_entry_new)
#define archive_entry_pathname (*archive_dyn.archive_entry_pathname)
#define archive_entry_set_gid (*archive_dyn.archive_entry_set_gid)
#define archive_entry_set_gname (*archive_dyn.archive_entry_set_gname)
#define archive_entry_set_nlink (*archive_dyn.archive_entry_set_nlink)
#define archive_entry_set_pathname (*archive_dyn.archive_entry_set_pathname)
#define archive_entry_set_size (*archive_dyn.archive_entry_set_size)
#define archive_entry_set_symlink (*archive_dyn.archive_entry_set_symlink)
#define archive_entry_set_uid (*archive_dyn.archive_entry_set_uid)
#define archive_entry_set_uname (*archive_dyn.archive_entry_set_uname)
#define archive_error_string (*archive_dyn.archive_error_string)
#define archive_read_data_block (*archive_dyn.archive_read_data_block)
#define archive_read_free (*archive_dyn.archive_read_free)
#define archive_read_new (*archive_dyn.archive_read_new)
#define archive_read_next_header (*archive_dyn.archive_read_next_header)
#define archive_read_open_fd (*archive_dyn.archive_read_open_fd)
#define archive_read_support_format_tar (*archive_dyn.archive_read_support_format_tar)
#define archive_write_add_filter_gzip (*archive_dyn.archive_write_add_filter_gzip)
#define archive_write_close (*archive_dyn.archive_write_close)
#define archive_write_data (*archive_dyn.archive_write_data)
#define archive_write_data_block (*archive_dyn.archive_write_data_block)
#define archive_write_disk_new (*archive_dyn.archive_write_disk_new)
#define archive_write_disk_set_options (*archive_dyn.archive_write_disk_set_options)
#define archive_write_finish_entry (*archive_dyn.archive_write_finish_entry)
#define archive_write_free (*archive_dyn.archive_write_free)
#define archive_write_header (*archive_dyn.archive_write_header)
#define archive_write_new (*archive_dyn.archive_write_new)
#define archive_write_open (*archive_dyn.archive_write_open)
#define archive_write_set_bytes_in_last_block (*archive_dyn.archive_write_set_bytes_in_last_block)
#define archive_write_set_format_pax_restricted                                                    \
	(*archive_dyn.archive_write_set_format_pax_restricted)

#endif

/* etc_defaults.h - the /etc/passwd and /etc/group a guest gets when its
 * image has none: a single-user system's names (root, www-data, nobody...)
 * that servers look up with getpwnam/getgrnam.  One definition for the unik
 * runtime (runtime/core/vfs_cpio.c) and the linux compiler's initramfs
 * (compilers/linux/initrd.c), so a program finds the same names on both. */
#ifndef UNIK_ABI_ETC_DEFAULTS_H
#define UNIK_ABI_ETC_DEFAULTS_H

#define UNIK_ETC_PASSWD                                                                            \
	"root:x:0:0:root:/root:/bin/sh\n"                                                          \
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"                                        \
	"bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"                                                   \
	"sys:x:3:3:sys:/dev:/usr/sbin/nologin\n"                                                   \
	"www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"                                   \
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
#define UNIK_ETC_GROUP                                                                             \
	"root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\nwww-data:x:33:\n"         \
	"nogroup:x:65534:\n"

#endif

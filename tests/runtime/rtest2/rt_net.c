/* rt_net.c - rtest modes that need libc functions which make sockets
 * (getpwnam asks nscd over AF_UNIX first), so their image carries the
 * network stack.  tests/runtime/run-tests builds rtest/ with this folder
 * (and its unik.json) as a second image. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

int rt_net_main(const char *mode, int argc, char **argv, int *status);

static int passwd_test(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("www-data");

	printf("getpwnam nobody: %s\n", pw ? pw->pw_dir : "(none)");
	printf("getpwuid 0: %s\n", getpwuid(0) ? getpwuid(0)->pw_name : "(none)");
	printf("getgrnam www-data: %d\n", gr ? (int)gr->gr_gid : -1);
	printf("getgrgid 65534: %s\n", getgrgid(65534) ? getgrgid(65534)->gr_name : "(none)");
	return 0;
}

/* AF_UNIX through libc's socket() in an image that has the network stack:
 * the core keeps AF_UNIX, the stack gets AF_INET. */
static int sockets_test(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/tmp/both.sock" };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0), s;
	int in = socket(AF_INET, SOCK_STREAM, 0);
	char buf[8] = { 0 };

	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) || (s = accept(l, NULL, NULL)) < 0 ||
	    write(c, "both", 4) != 4 || read(s, buf, sizeof(buf)) != 4) {
		printf("unix with the stack: failed: %s\n", strerror(errno));
		return 1;
	}
	printf("unix with the stack: %s\n", buf);
	printf("inet socket with the stack: %s\n", in >= 0 ? "yes" : strerror(errno));
	printf("unix call on an inet socket: %s\n",
	       bind(in, (struct sockaddr *)&a, sizeof(a)) < 0 ? strerror(errno) : "bound?");
	return 0;
}

/* syslog(3) sends to /dev/log: the runtime prints it on the console. */
static int syslog_test(void)
{
	openlog("rtest", LOG_PID, LOG_DAEMON);
	syslog(LOG_INFO, "hello via syslog %d", 42);
	closelog();
	return 0;
}

int rt_net_main(const char *mode, int argc, char **argv, int *status)
{
	if (!strcmp(mode, "passwd"))
		*status = passwd_test();
	else if (!strcmp(mode, "syslog"))
		*status = syslog_test();
	else if (!strcmp(mode, "libcsock"))
		*status = sockets_test();
	else
		return 0;
	return 1;
}

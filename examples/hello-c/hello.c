/* hello.c - the smallest unik example: prints its arguments and one
 * environment variable, and exits with the status given in EXIT_CODE. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *greeting = getenv("GREETING");
	const char *code = getenv("EXIT_CODE");

	printf("hello from unik\n");
	for (int i = 1; i < argc; i++)
		printf("arg[%d]=%s\n", i, argv[i]);
	if (greeting)
		printf("GREETING=%s\n", greeting);
	fflush(stdout);
	return code ? (int)strtol(code, NULL, 10) : 0;
}

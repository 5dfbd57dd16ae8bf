/* sleeper.c - a program without sockets (so its image has no network
 * stack) that sleeps argv[1] seconds: an instance on a tap must sleep too,
 * whatever frames arrive. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("sleeping\n");
	fflush(stdout);
	sleep(argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 30);
	printf("woke\n");
	return 0;
}

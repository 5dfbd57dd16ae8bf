/* rsmall - a program whose image links only the system calls its musl
 * objects make (compilers/common/syscall_set.c): it prints a line; with
 * "raw" it also makes getppid with its own `syscall` instruction, which
 * its C library never makes, so the image has no getppid. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("hello from rsmall\n");
	if (argc > 1 && !strcmp(argv[1], "raw")) {
		long r;

		__asm__ volatile("syscall" : "=a"(r) : "a"(110L) : "rcx", "r11", "memory");
		printf("raw getppid: %ld\n", r);
	}
	return 0;
}

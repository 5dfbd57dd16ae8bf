/* bootword.c - prints its argument encoded for a guest's boot command line
 * (abi/boot.h), so that the test suites encode through the one codec:
 *   bootword STRING   ->   its <enc>, without a newline */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/boot.h"

int main(int argc, char **argv)
{
	size_t len;
	char *out;

	if (argc != 2) {
		fputs("usage: bootword STRING\n", stderr);
		return 2;
	}
	len = strlen(argv[1]);
	out = malloc(3 * len + 1);
	if (!out)
		return 1;
	fwrite(out, 1, unik_boot_encode(out, argv[1], len), stdout);
	free(out);
	return 0;
}

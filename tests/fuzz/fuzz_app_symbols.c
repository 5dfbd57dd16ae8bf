/* fuzz_app_symbols.c - the packer's readers of the program's ELF file
 * (compilers/common/app_symbols.c: the symbol table and the names of its
 * functions, which go to `objcopy --keep-symbols`; compilers/common/
 * syscall_set.c: the records of its system calls).  The program is the
 * output of a build from uploaded sources: outside input.
 *
 * Input: the bytes of the program file.
 * Promises checked:
 *   - every name listed is one line, not empty, without a blank, tab, CR
 *     or '#', and is a NUL-terminated string of the input;
 *   - the system-call set is every call (with a reason) or counts exactly
 *     the numbers it holds, all below SYSCALL_SET_LIMIT.
 */
#include <string.h>

#include "../../compilers/common/app_symbols.h"
#include "../../compilers/common/syscall_set.h"
#include "fuzz.h"

static int bits(const unsigned char *b, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += __builtin_popcount(b[i]);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf f = STRBUF_INIT, names = STRBUF_INIT;
	struct syscall_set set;

	strbuf_add(&f, data, size);
	app_function_names(&f, &names);
	for (size_t at = 0; at < names.len;) {
		const char *line = names.buf + at, *nl = memchr(line, '\n', names.len - at);
		size_t len;

		FUZZ_CHECK(nl, "a name without its newline");
		len = (size_t)(nl - line);
		FUZZ_CHECK(len && strcspn(line, "\r\t #") >= len, "a name objcopy would misread");
		{
			char *z = strndup(line, len);
			const void *in = memmem(data, size, z, len + 1);

			free(z);
			FUZZ_CHECK(in, "a name that is no NUL-terminated string of the file");
		}
		at += len + 1;
	}
	syscall_set_of_program(&f, &set);
	FUZZ_CHECK(set.all ? set.why[0] != 0 : set.count == bits(set.bits, sizeof(set.bits)),
		   "a system-call set whose count (%d) is not its numbers", set.count);
	strbuf_release(&names);
	strbuf_release(&f);
	return 0;
}

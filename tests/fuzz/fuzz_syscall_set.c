/* fuzz_syscall_set.c - the packer's reader of a program's system-call
 * records (compilers/common/syscall_set.c syscall_set_of_program(): the
 * section .unik_syscalls of the user's ELF program, issue 18).
 *
 * Input: the program file (a heap block of exactly its size: ASan guards
 * its end).
 * Promises checked:
 *   - the set is "every call" with a reason, or holds exactly `count`
 *     distinct calls below SYSCALL_SET_LIMIT, and the calls with a chosen
 *     path are among them;
 *   - a set that is not "every call" is what the records say: the harness
 *     finds the section itself (as the ELF specification names it) and
 *     every record is a call of the set, no call is in it without one.
 */
#include <elf.h>
#include <string.h>

#include "../../compilers/common/syscall_set.h"
#include "fuzz.h"

static int bit(const unsigned char *bits, unsigned nr)
{
	return bits[nr / 8] >> (nr % 8) & 1;
}

/* The records of section .unik_syscalls, found without the reader's code:
 * their bytes, or NULL. */
static const unsigned char *records(const unsigned char *f, size_t len, size_t *n)
{
	Elf64_Ehdr eh;
	Elf64_Shdr names, sh;

	if (len < sizeof(eh))
		return NULL;
	memcpy(&eh, f, sizeof(eh));
	if (eh.e_shoff > len || eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shnum > (len - eh.e_shoff) / sizeof(sh))
		return NULL;
	memcpy(&names, f + eh.e_shoff + eh.e_shstrndx * sizeof(sh), sizeof(sh));
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, f + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (names.sh_offset <= len && sh.sh_name < names.sh_size &&
		    names.sh_size <= len - names.sh_offset &&
		    memchr(f + names.sh_offset + sh.sh_name, 0, names.sh_size - sh.sh_name) &&
		    !strcmp((const char *)f + names.sh_offset + sh.sh_name, ".unik_syscalls")) {
			if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
				return NULL;
			*n = sh.sh_size / 4;
			return f + sh.sh_offset;
		}
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf elf = STRBUF_INIT;
	struct syscall_set set;
	const unsigned char *rec;
	unsigned char seen[SYSCALL_SET_LIMIT / 8] = { 0 };
	size_t n = 0;
	int count = 0;

	strbuf_add(&elf, data, size);
	memset(&set, 0x5a, sizeof(set));
	syscall_set_of_program(&elf, &set);
	FUZZ_CHECK(memchr(set.why, 0, sizeof(set.why)) && set.why[0], "a set without a reason");
	if (!set.all) {
		for (unsigned nr = 0; nr < SYSCALL_SET_LIMIT; nr++) {
			count += bit(set.bits, nr);
			FUZZ_CHECK(!bit(set.paths, nr) || bit(set.bits, nr),
				   "call %u has a path but is not in the set", nr);
		}
		FUZZ_CHECK(count == set.count, "count %d, %d calls in the set", set.count, count);
		rec = records(elf.buf ? (const unsigned char *)elf.buf : data, size, &n);
		FUZZ_CHECK(rec, "a set from a program without records");
		for (size_t i = 0; i < n; i++) {
			uint32_t nr;

			memcpy(&nr, rec + 4 * i, 4);
			nr &= ~0x40000000u;
			FUZZ_CHECK(nr < SYSCALL_SET_LIMIT && bit(set.bits, nr),
				   "record %zu (call %u) is not in the set", i, nr);
			seen[nr / 8] |= (unsigned char)(1 << (nr % 8));
		}
		FUZZ_CHECK(!memcmp(seen, set.bits, sizeof(seen)),
			   "a call in the set without a record");
	}
	strbuf_release(&elf);
	return 0;
}

/* user.c - entering the program, and the initial kernel stack of threads. */
#include "arch.h"

enum app_mode app_mode;
/* entry.S: the program's selectors, used by every frame the entries build. */
extern u64 app_cs, app_ss;
extern char thread_first_run[];
void arch_return_to_user(struct trap_frame *f) __noreturn;

u64 arch_user_cs(void)
{
	return app_cs;
}

u64 arch_user_ss(void)
{
	return app_ss;
}

void arch_enter_app(u64 entry, u64 sp, enum app_mode mode)
{
	struct trap_frame *f = arch_user_frame();

	app_mode = mode;
	switch (mode) {
	case APP_RING3:
		app_cs = 0x23; /* user code | 3 */
		app_ss = 0x1b; /* user data | 3 */
		/* %ds/%es hold the runtime's selector until now; zero is valid
		 * at ring 3 in long mode */
		__asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(0));
		break;
	case APP_RING0:
		app_cs = 0x08;
		app_ss = 0x10;
		break;
	case APP_HOSTED:
		app_cs = 0x33; /* Linux's __USER_CS and __USER_DS */
		app_ss = 0x2b;
		break;
	}
	/* The ELF ABI's start state: every register zero, interrupts on. */
	memset(f, 0, sizeof(*f));
	f->rip = entry;
	f->rsp = sp;
	f->cs = app_cs;
	f->ss = app_ss;
	f->rflags = 0x202;
	f->error = FRAME_FULL;
	arch_return_to_user(f);
}

u64 arch_thread_stack(u64 top)
{
	u64 *sp = (u64 *)(top - sizeof(struct trap_frame));

	*--sp = (u64)thread_first_run; /* arch_switch's return address */
	for (int i = 0; i < 6; i++)
		*--sp = 0; /* %rbp, %rbx, %r12-%r15 */
	return (u64)sp;
}

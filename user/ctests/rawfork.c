/* rawfork: ExoV6 only (not run on the host). Many processes each send the
 * system server a raw Fork request, which makes an unstarted child, and
 * die without the ForkStart that should follow (some send two); the
 * server must reclaim those children with their parent, so that forks
 * still work afterwards. Before that fix about 57 such processes used up
 * the system and every later fork failed with ENOMEM.
 *
 * The request is a native ExoV6 call (abi::Syscall::Call, 0x4558_0011) on
 * the server's endpoint (sysproto::slots::SERVER, slot 3) with
 * sysproto::Op::Fork (15); the message travels in rsi, rdx, r10, r8, r9,
 * r12, the capability slot in r13 (none: all ones). */
#include "ctest.h"

#define EXO_CALL 0x45580011UL
#define SERVER_SLOT 3UL
#define OP_FORK 15UL

/* One request to the server; its result word (a pid, or -errno). */
static long server_call(unsigned long op)
{
	register unsigned long r10 __asm__("r10") = 0;
	register unsigned long r8 __asm__("r8") = 0;
	register unsigned long r9 __asm__("r9") = 0;
	register unsigned long r12 __asm__("r12") = 0;
	register unsigned long r13 __asm__("r13") = ~0UL;
	unsigned long rax = EXO_CALL, rdi = SERVER_SLOT, rsi = op, rdx = 0;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10),
			   "+r"(r8), "+r"(r9), "+r"(r12), "+r"(r13)
			 :
			 : "rcx", "r11", "memory");
	return rax == 0 ? (long)rsi : -1;
}

int main(void)
{
	ctest_start("rawfork");
	const int rounds = 150;
	int made = 0;
	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork after abandoned raw forks");
		if (pid == 0) {
			long r = server_call(OP_FORK);
			if (i % 3 == 0)
				server_call(OP_FORK);
			_exit(r > 0 ? 0 : 1);
		}
		int st = wait_for(pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			made++;
	}
	say("raw forks abandoned: %d of %d", made, rounds);
	CHECK(made == rounds, "every raw Fork made a child");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork afterwards");
	if (pid == 0)
		_exit(7);
	expect_exit(pid, 7, "a fork afterwards");
	say("fork afterwards: works");
	return ctest_ok();
}

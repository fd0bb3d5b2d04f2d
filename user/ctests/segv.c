/* segv: faults become signals. A NULL write raises SIGSEGV (si_addr 0,
 * SEGV_MAPERR) caught by a handler that siglongjmps out, three times in a
 * row (the mask is restored each time); a write to an unmapped page far
 * from NULL; SIGFPE from an integer division by zero (FPE_INTDIV); SIGILL
 * from ud2 (ILL_ILLOPN); SIGSEGV (SI_KERNEL) from `in` on a port the
 * process was never given (the CMOS RTC's 0x71, which the system's own
 * servers may hold); the same NULL write without a handler kills a child
 * with SIGSEGV. */
#include "ctest.h"
#include <setjmp.h>
#include <sys/mman.h>

static sigjmp_buf env;
static volatile sig_atomic_t hits;
static volatile int last_sig, last_code;
static void *volatile last_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = si->si_signo == sig ? sig : -1;
	last_code = si->si_code;
	last_addr = si->si_addr;
	siglongjmp(env, 1);
}

static void catch(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_fault };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

static volatile int zero = 0;

int main(void)
{
	ctest_start("segv");
	catch(SIGSEGV);
	catch(SIGFPE);
	catch(SIGILL);

	volatile int *volatile null = NULL;
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(env, 1) == 0) {
			*null = 42;
			CHECK(0, "the NULL write did not fault");
		}
		sigset_t cur;
		sigprocmask(SIG_SETMASK, NULL, &cur);
		CHECK(!sigismember(&cur, SIGSEGV), "mask restored by siglongjmp");
	}
	say("NULL write: SIGSEGV caught %d times, si_addr 0: %s, SEGV_MAPERR: "
	    "%s",
	    (int)hits, yesno(last_addr == NULL), yesno(last_code == SEGV_MAPERR));
	CHECK(hits == 3 && last_sig == SIGSEGV && last_addr == NULL &&
		      last_code == SEGV_MAPERR,
	      "NULL write SIGSEGV");

	/* An unmapped page: map one, unmap it, touch it. */
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED, "mmap");
	CHECK(munmap(page, 4096) == 0, "munmap");
	hits = 0;
	if (sigsetjmp(env, 1) == 0) {
		*(volatile char *)page = 1;
		CHECK(0, "write to an unmapped page did not fault");
	}
	say("unmapped page write: SIGSEGV %s, si_addr is the page: %s",
	    yesno(hits == 1 && last_sig == SIGSEGV),
	    yesno(last_addr == page));
	CHECK(hits == 1 && last_sig == SIGSEGV && last_addr == page,
	      "unmapped page SIGSEGV");

	hits = 0;
	if (sigsetjmp(env, 1) == 0) {
		volatile int x = 7 / zero;
		(void)x;
		CHECK(0, "division by zero did not fault");
	}
	say("division by zero: SIGFPE %s, FPE_INTDIV %s",
	    yesno(hits == 1 && last_sig == SIGFPE),
	    yesno(last_code == FPE_INTDIV));
	CHECK(hits == 1 && last_sig == SIGFPE && last_code == FPE_INTDIV,
	      "SIGFPE");

	hits = 0;
	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("ud2");
		CHECK(0, "ud2 did not fault");
	}
	say("ud2: SIGILL %s, ILL_ILLOPN %s",
	    yesno(hits == 1 && last_sig == SIGILL),
	    yesno(last_code == ILL_ILLOPN));
	CHECK(hits == 1 && last_sig == SIGILL && last_code == ILL_ILLOPN,
	      "SIGILL");

	/* A port nobody gave us, right after a call (so after switches to
	 * and from whoever serves it, on ExoV6). */
	hits = 0;
	if (sigsetjmp(env, 1) == 0) {
		(void)getppid();
		unsigned char v;
		__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"((unsigned short)0x71));
		(void)v;
		CHECK(0, "in from port 0x71 did not fault");
	}
	say("in from port 0x71: SIGSEGV %s, SI_KERNEL %s",
	    yesno(hits == 1 && last_sig == SIGSEGV),
	    yesno(last_code == SI_KERNEL));
	CHECK(hits == 1 && last_sig == SIGSEGV && last_code == SI_KERNEL,
	      "port SIGSEGV");

	/* No handler: the default action kills. */
	pid_t pid = xfork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*null = 1;
		_exit(99);
	}
	int st = wait_for(pid);
	say("NULL write without a handler: killed by SIGSEGV: %s",
	    yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "default SIGSEGV");

	return ctest_ok();
}

/* mmap: anonymous private mappings are demand-zero and usable; munmap of
 * a middle page leaves a hole (SIGSEGV there, neighbours intact);
 * mprotect to read-only keeps the data and a write raises SIGSEGV
 * (SEGV_ACCERR, si_addr the page) caught by a handler; back to read-write
 * works; PROT_NONE faults on read; MAP_FIXED replaces with zeroes; a
 * sparse 64 MiB mapping; a private mapping is copied on write across
 * fork; EINVAL for bad arguments; the main stack grows for 1 MiB of
 * recursion. */
#include "ctest.h"
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096

static sigjmp_buf env;
static volatile sig_atomic_t faults;
static volatile int fault_code;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	faults++;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(env, 1);
}

/* Does writing (or reading) *p fault? */
static int write_faults(volatile char *p)
{
	faults = 0;
	if (sigsetjmp(env, 1) == 0)
		*p = 1;
	return faults == 1;
}

static int read_faults(volatile char *p)
{
	faults = 0;
	if (sigsetjmp(env, 1) == 0) {
		char c = *p;
		(void)c;
	}
	return faults == 1;
}

static char *map(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	return p;
}

/* Recursion with 4 KiB frames; returns 0 if every frame kept its data. */
static int deep(int n)
{
	volatile int frame[1000];
	frame[0] = n;
	frame[999] = n;
	int below = n == 0 ? 0 : deep(n - 1);
	return below + (frame[0] != n) + (frame[999] != n);
}

int main(void)
{
	ctest_start("mmap");
	struct sigaction sa = { .sa_sigaction = on_segv };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");

	/* Demand zero, then usable. */
	char *p = map(16 * PAGE, PROT_READ | PROT_WRITE);
	int zero = 1;
	for (int i = 0; i < 16 * PAGE; i++)
		zero &= p[i] == 0;
	for (int i = 0; i < 16 * PAGE; i++)
		p[i] = (char)(i % 251);
	int kept = 1;
	for (int i = 0; i < 16 * PAGE; i++)
		kept &= p[i] == (char)(i % 251);
	say("16 pages: demand-zero %s, written and read back %s", yesno(zero),
	    yesno(kept));
	CHECK(zero && kept, "anonymous mapping");

	/* A hole. */
	CHECK(munmap(p + 5 * PAGE, PAGE) == 0, "munmap middle page");
	int hole = write_faults(p + 5 * PAGE);
	int hole_addr = fault_addr == p + 5 * PAGE && fault_code == SEGV_MAPERR;
	int sides = p[5 * PAGE - 1] == (char)((5 * PAGE - 1) % 251) &&
		    p[6 * PAGE] == (char)((6 * PAGE) % 251);
	say("munmap of a middle page: write there faults %s (SEGV_MAPERR at the "
	    "page %s), neighbours intact %s",
	    yesno(hole), yesno(hole_addr), yesno(sides));
	CHECK(hole && hole_addr && sides, "hole");

	/* Read-only. */
	CHECK(mprotect(p, 4 * PAGE, PROT_READ) == 0, "mprotect read-only");
	int readable = p[PAGE + 7] == (char)((PAGE + 7) % 251);
	int ro = write_faults(p + 2 * PAGE + 100);
	int ro_info = fault_code == SEGV_ACCERR && fault_addr == p + 2 * PAGE + 100;
	say("read-only: data kept %s, write raises SIGSEGV %s, SEGV_ACCERR at "
	    "the address %s",
	    yesno(readable), yesno(ro), yesno(ro_info));
	CHECK(readable && ro && ro_info, "read-only page");
	CHECK(mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
	int rw = !write_faults(p + 2 * PAGE + 100);
	say("read-write again: write works %s", yesno(rw && p[2 * PAGE + 100] == 1));
	CHECK(rw && p[2 * PAGE + 100] == 1, "read-write again");

	/* PROT_NONE. */
	CHECK(mprotect(p + 8 * PAGE, PAGE, PROT_NONE) == 0, "PROT_NONE");
	int none = read_faults(p + 8 * PAGE);
	say("PROT_NONE: read faults %s", yesno(none));
	CHECK(none, "PROT_NONE read");

	/* MAP_FIXED over existing pages gives fresh zero pages. */
	char *f = mmap(p + 10 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	int fixed = f == p + 10 * PAGE && f[0] == 0 && f[2 * PAGE - 1] == 0 &&
		    p[12 * PAGE] == (char)((12 * PAGE) % 251);
	say("MAP_FIXED: at the address, zeroed, next page untouched: %s",
	    yesno(fixed));
	CHECK(fixed, "MAP_FIXED");
	CHECK(munmap(p, 16 * PAGE) == 0, "munmap all (with a hole)");
	int gone = write_faults(p);
	say("after munmap: write faults %s", yesno(gone));
	CHECK(gone, "unmapped");

	/* Sparse: 64 MiB, touch one byte every 4 MiB. */
	size_t big = 64u << 20;
	char *s = map(big, PROT_READ | PROT_WRITE);
	int sparse = 1;
	for (size_t off = 0; off < big; off += 4u << 20) {
		sparse &= s[off] == 0;
		s[off] = 1;
		s[off + 4095] = 2;
	}
	for (size_t off = 0; off < big; off += 4u << 20)
		sparse &= s[off] == 1 && s[off + 4095] == 2 && s[off + 4096] == 0;
	CHECK(munmap(s, big) == 0, "munmap 64 MiB");
	say("64 MiB sparse mapping, 16 pages touched: %s", yesno(sparse));
	CHECK(sparse, "sparse mapping");

	/* Private mapping across fork: copy on write. */
	char *c = map(2 * PAGE, PROT_READ | PROT_WRITE);
	c[0] = 'p';
	c[PAGE] = 'p';
	pid_t pid = xfork();
	if (pid == 0) {
		int saw = c[0] == 'p';
		c[0] = 'c';
		_exit(saw && c[0] == 'c' ? 0 : 1);
	}
	c[PAGE] = 'P';
	expect_exit(pid, 0, "child writing a private mapping");
	say("private mapping after fork: parent unchanged %s",
	    yesno(c[0] == 'p' && c[PAGE] == 'P'));
	CHECK(c[0] == 'p' && c[PAGE] == 'P', "copy on write");
	munmap(c, 2 * PAGE);

	/* Bad arguments. */
	errno = 0;
	void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int e1 = bad == MAP_FAILED && errno == EINVAL;
	errno = 0;
	int e2 = munmap((char *)c + 1, PAGE) == -1 && errno == EINVAL;
	errno = 0;
	/* (musl's mprotect rounds the address down; ask the system directly.) */
	int e3 = syscall(SYS_mprotect, (char *)c + 1, PAGE, PROT_READ) == -1 &&
		 errno == EINVAL;
	say("EINVAL: zero-length mmap %s, unaligned munmap %s, unaligned "
	    "mprotect %s",
	    yesno(e1), yesno(e2), yesno(e3));
	CHECK(e1 && e2 && e3, "EINVAL");

	/* Stack growth: 256 frames of 4 KiB. */
	int d = deep(256);
	say("1 MiB of recursion on the main stack: %s", yesno(d == 0));
	CHECK(d == 0, "stack growth");

	return ctest_ok();
}

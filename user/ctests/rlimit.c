/* rlimit: resource limits as Linux has them. getrlimit/setrlimit/prlimit64
 * rules (soft above hard: EINVAL; bad resource: EINVAL; NULL: EFAULT;
 * lowering always works; raising the hard limit needs CAP_SYS_RESOURCE, else EPERM); a
 * single mmap far larger than the machine's memory fails with ENOMEM (the
 * heuristic overcommit); RLIMIT_AS lowered makes malloc and mmap fail with
 * ENOMEM; RLIMIT_DATA limits brk and private writable mmaps but not
 * read-only ones; RLIMIT_NOFILE caps descriptors (EMFILE, dup2 EBADF);
 * pthread_create reports EAGAIN once RLIMIT_AS leaves no room for another
 * stack, and every thread made still runs and is joined. The limits are
 * lowered first, so the host run is cheap and deterministic. */
#include "ctest.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define MIB (1024L * 1024)

static void limits_rules(void)
{
	struct rlimit r, old;
	CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0, "getrlimit NOFILE");
	say("nofile soft <= hard: %d", r.rlim_cur <= r.rlim_max);
	errno = 0;
	CHECK(syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL) == -1 && errno == EFAULT,
	      "getrlimit(NULL) is EFAULT");
	errno = 0;
	CHECK(getrlimit(99, &r) == -1 && errno == EINVAL, "getrlimit(99) is EINVAL");
	struct rlimit bad = {.rlim_cur = 100, .rlim_max = 50};
	errno = 0;
	CHECK(setrlimit(RLIMIT_CORE, &bad) == -1 && errno == EINVAL,
	      "soft above hard is EINVAL");
	errno = 0;
	CHECK(syscall(SYS_setrlimit, RLIMIT_CORE, NULL) == -1 && errno == EFAULT,
	      "setrlimit(NULL) is EFAULT");
	/* Lowering the hard limit is always allowed; raising it again only
	 * for root. */
	struct rlimit low = {.rlim_cur = 0, .rlim_max = 4096};
	CHECK(setrlimit(RLIMIT_CORE, &low) == 0, "lowering RLIMIT_CORE");
	CHECK(getrlimit(RLIMIT_CORE, &r) == 0 && r.rlim_cur == 0 && r.rlim_max == 4096,
	      "RLIMIT_CORE reads back");
	struct rlimit high = {.rlim_cur = 0, .rlim_max = 8192};
	/* Only with CAP_SYS_RESOURCE (a container's root may lack it; on
	 * ExoV6 every process has it): else EPERM. */
	errno = 0;
	int raised = setrlimit(RLIMIT_CORE, &high) == 0;
	CHECK(raised || errno == EPERM, "raising the hard limit: done or EPERM");
	/* prlimit64: the old values, then the new ones, in one call. */
	struct rlimit set = {.rlim_cur = 1024, .rlim_max = 4096};
	CHECK(prlimit(0, RLIMIT_CORE, &set, &old) == 0, "prlimit");
	CHECK(old.rlim_max == (raised ? 8192u : 4096u), "prlimit old value");
	CHECK(prlimit(0, RLIMIT_CORE, NULL, &r) == 0 && r.rlim_cur == 1024,
	      "prlimit reads back");
	/* A fork child has the same limits. */
	pid_t c = fork();
	if (c == 0) {
		struct rlimit k;
		_exit(getrlimit(RLIMIT_CORE, &k) == 0 && k.rlim_cur == 1024 ? 0 : 1);
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a child inherits the limits");
	say("limits rules: ok");
}

static void huge_mmap(void)
{
	errno = 0;
	void *p = mmap(NULL, 1UL << 45, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "a 32 TiB mmap is ENOMEM");
	errno = 0;
	p = mmap(NULL, ~0UL - 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "an mmap of nearly 2^64 is ENOMEM");
	errno = 0;
	p = mmap(NULL, 1UL << 45, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "a 32 TiB shared PROT_NONE mmap is ENOMEM");
	errno = 0;
	CHECK(malloc(1UL << 45) == NULL && errno == ENOMEM, "malloc of 32 TiB is ENOMEM");
	say("huge mmap: ENOMEM");
}

static void data_limit(void)
{
	struct rlimit r = {.rlim_cur = 16 * MIB, .rlim_max = RLIM_INFINITY};
	CHECK(setrlimit(RLIMIT_DATA, &r) == 0, "setrlimit DATA");
	char *cur = (char *)syscall(SYS_brk, 0);
	CHECK((char *)syscall(SYS_brk, cur + 32 * MIB) == cur, "brk past RLIMIT_DATA is refused");
	CHECK((char *)syscall(SYS_brk, cur + MIB) == cur + MIB, "brk within RLIMIT_DATA");
	cur[MIB - 1] = 1;
	CHECK((char *)syscall(SYS_brk, cur) == cur, "brk back");
	errno = 0;
	void *p = mmap(NULL, 32 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "writable mmap past RLIMIT_DATA is ENOMEM");
	p = mmap(NULL, 32 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "read-only mmap is not data");
	munmap(p, 32 * MIB);
	r.rlim_cur = RLIM_INFINITY;
	CHECK(setrlimit(RLIMIT_DATA, &r) == 0, "RLIMIT_DATA back");
	say("data limit: ok");
}

static void nofile_limit(void)
{
	struct rlimit save, r;
	CHECK(getrlimit(RLIMIT_NOFILE, &save) == 0, "getrlimit NOFILE");
	r.rlim_cur = 10;
	r.rlim_max = save.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit NOFILE 10");
	int fds[16], n = 0, last = -1, fd;
	while (n < 16 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fds[n++] = fd;
	CHECK(fd < 0 && errno == EMFILE, "open past RLIMIT_NOFILE is EMFILE");
	say("highest descriptor: %d", last);
	errno = 0;
	CHECK(dup2(0, 10) == -1 && errno == EBADF, "dup2 to RLIMIT_NOFILE is EBADF");
	while (n > 0)
		close(fds[--n]);
	CHECK(setrlimit(RLIMIT_NOFILE, &save) == 0, "NOFILE back");
	say("nofile limit: ok");
}

#define MAX_THREADS 4000

static void as_limit_and_threads(void)
{
	struct rlimit r = {.rlim_cur = 256 * MIB, .rlim_max = RLIM_INFINITY};
	CHECK(setrlimit(RLIMIT_AS, &r) == 0, "setrlimit AS");
	errno = 0;
	CHECK(malloc(512 * MIB) == NULL && errno == ENOMEM, "malloc past RLIMIT_AS is ENOMEM");
	errno = 0;
	void *p = mmap(NULL, 512 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "mmap past RLIMIT_AS is ENOMEM");
	void *small = malloc(MIB);
	CHECK(small != NULL, "malloc within RLIMIT_AS");
	free(small);
	say("as limit: ok");

	/* Threads with 64 KiB stacks until the address space is full. */
	r.rlim_cur = 48 * MIB;
	CHECK(setrlimit(RLIMIT_AS, &r) == 0, "setrlimit AS 48 MiB");
	static pthread_t t[MAX_THREADS];
	int e;
	int n = ctest_crowd_fill(t, MAX_THREADS, 64 * 1024, &e);
	say("pthread_create stops with %s", e == EAGAIN ? "EAGAIN" : "something else");
	CHECK(e == EAGAIN, "pthread_create is EAGAIN");
	CHECK(n >= 50, "some threads were made");
	ctest_crowd_release(t, n);
	r.rlim_cur = RLIM_INFINITY;
	CHECK(setrlimit(RLIMIT_AS, &r) == 0, "RLIMIT_AS back");
	say("threads until EAGAIN: ok");
}

int main(void)
{
	ctest_start("rlimit");
	limits_rules();
	huge_mmap();
	data_limit();
	nofile_limit();
	as_limit_and_threads();
	say("rlimit: ok");
	return 0;
}

/* rlimit-rules: getrlimit/setrlimit/prlimit64 for every resource Linux
 * defines (RLIMIT_CPU..RLIMIT_RTTIME): soft above hard is EINVAL, lowering
 * either limit always works, the soft limit may rise up to the hard one,
 * raising the hard limit needs CAP_SYS_RESOURCE (root has it; a
 * container's root may not: EPERM); resource 16 and above EINVAL;
 * prlimit64 of an unknown pid ESRCH. The values tried are far from what
 * the test itself uses, and the original limits come back after. */
#include "ctest.h"
#include <sys/resource.h>
#include <sys/syscall.h>

struct rl {
	uint64_t cur, max;
};

static int get(int r, struct rl *l)
{
	return (int)syscall(SYS_prlimit64, 0, r, NULL, l);
}

static int set(int r, uint64_t cur, uint64_t max)
{
	struct rl l = {cur, max};
	return (int)syscall(SYS_setrlimit, r, &l);
}

/* A value to lower each limit to, harmless to this program. */
static const uint64_t low[16] = {
	100000,		/* CPU, seconds */
	1ull << 40,	/* FSIZE */
	1ull << 40,	/* DATA */
	8ull << 20,	/* STACK */
	1ull << 20,	/* CORE */
	1ull << 40,	/* RSS */
	100000,		/* NPROC */
	256,		/* NOFILE */
	64ull << 10,	/* MEMLOCK */
	1ull << 40,	/* AS */
	100000,		/* LOCKS */
	100000,		/* SIGPENDING */
	819200,		/* MSGQUEUE */
	0,		/* NICE */
	0,		/* RTPRIO */
	1ull << 40,	/* RTTIME, microseconds */
};

static void rules(int r)
{
	struct rl orig, now;
	CHECK(get(r, &orig) == 0, "prlimit64 reads");
	CHECK(getrlimit(r, (struct rlimit *)&now) == 0 && now.cur == orig.cur &&
		      now.max == orig.max,
	      "getrlimit agrees with prlimit64");
	CHECK(orig.cur <= orig.max, "soft <= hard");
	errno = 0;
	CHECK(set(r, 2, 1) == -1 && errno == EINVAL, "soft above hard is EINVAL");
	uint64_t h = orig.max < low[r] ? orig.max : low[r];
	uint64_t s = orig.cur < h ? orig.cur : h;
	CHECK(set(r, s / 2, h) == 0, "lowering");
	CHECK(get(r, &now) == 0 && now.cur == s / 2 && now.max == h, "lowered limits read back");
	CHECK(set(r, h, h) == 0, "soft up to the hard limit");
	CHECK(get(r, &now) == 0 && now.cur == h, "raised soft limit reads back");
	if (h != RLIM_INFINITY) {
		errno = 0;
		CHECK(set(r, h + 1, h) == -1 && errno == EINVAL, "soft past hard is EINVAL");
		errno = 0;
		int up = set(r, h, h + 1);
		CHECK(up == 0 || errno == EPERM, "raising the hard limit: done or EPERM");
		if (up == 0)
			CHECK(get(r, &now) == 0 && now.max == h + 1, "raised hard limit reads back");
	}
	/* Lowering the hard limit below the soft one is soft above hard. */
	if (h > 0) {
		errno = 0;
		CHECK(set(r, h, h - 1) == -1 && errno == EINVAL, "hard below soft is EINVAL");
	}
	int back = (int)syscall(SYS_prlimit64, 0, r, &orig, &now);
	CHECK(back == 0 || errno == EPERM, "the original limits back");
	say("resource %d: rules ok", r);
}

int main(void)
{
	ctest_start("rlimit-rules");
	for (int r = 0; r < 16; r++)
		rules(r);
	struct rl l = {1, 1};
	errno = 0;
	CHECK(getrlimit(16, (struct rlimit *)&l) == -1 && errno == EINVAL, "resource 16");
	errno = 0;
	CHECK(syscall(SYS_setrlimit, 16, &l) == -1 && errno == EINVAL, "setrlimit 16");
	errno = 0;
	CHECK(syscall(SYS_prlimit64, 0, -1, NULL, &l) == -1 && errno == EINVAL,
	      "prlimit64 resource -1");
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	expect_exit(c, 0, "child");
	errno = 0;
	CHECK(syscall(SYS_prlimit64, c, RLIMIT_CORE, NULL, &l) == -1 && errno == ESRCH,
	      "prlimit64 of an unknown pid");
	/* A lowered limit is what a fork child has. */
	CHECK(set(RLIMIT_LOCKS, 77, 88) == 0, "LOCKS 77/88");
	c = fork();
	if (c == 0) {
		struct rl k;
		CHECK(get(RLIMIT_LOCKS, &k) == 0, "the child's LOCKS");
		say("child's LOCKS: %llu/%llu", (unsigned long long)k.cur,
		    (unsigned long long)k.max);
		_exit(0);
	}
	expect_exit(c, 0, "child");
	return ctest_ok();
}

/* brk: the program break grows with sbrk in 64 KiB steps to 4 MiB, each
 * step returning the old break; the new memory is zero and usable; brk(0)
 * (the raw system call) reports the current break; shrinking gives memory
 * back (a later grow finds zeroes again); an absurd break is refused and
 * leaves the break where it was. musl's sbrk refuses non-zero increments
 * (ENOMEM), so growing sbrk is built on the raw brk system call the way
 * glibc does it. */
#include "ctest.h"
#include <sys/syscall.h>

#define STEP (64 * 1024)
#define STEPS 64

static char *sys_brk(void *to)
{
	return (char *)syscall(SYS_brk, to);
}

/* sbrk as glibc has it: returns the old break, or -1 if brk refused. */
static char *grow(intptr_t inc)
{
	char *cur = sys_brk(NULL);
	if (inc != 0 && sys_brk(cur + inc) != cur + inc)
		return (char *)-1;
	return cur;
}

int main(void)
{
	ctest_start("brk");

	char *start = sbrk(0);
	CHECK(start != (char *)-1, "sbrk(0)");
	CHECK(sys_brk(NULL) == start, "brk(0) agrees with sbrk(0)");

	int steps_ok = 1, zero = 1;
	for (int i = 0; i < STEPS; i++) {
		char *old = grow(STEP);
		CHECK(old != (char *)-1, "sbrk grow");
		steps_ok &= old == start + (size_t)i * STEP;
		for (int j = 0; j < STEP; j += 512)
			zero &= old[j] == 0;
		memset(old, i + 1, STEP);
	}
	int data = 1;
	for (int i = 0; i < STEPS; i++)
		data &= start[(size_t)i * STEP] == i + 1 &&
			start[(size_t)i * STEP + STEP - 1] == i + 1;
	char *end = sbrk(0);
	say("grew by %d steps of 64 KiB: each returned the old break %s",
	    STEPS, yesno(steps_ok));
	say("new memory zero %s, written and read back %s, break moved 4 MiB %s",
	    yesno(zero), yesno(data), yesno(end == start + STEPS * STEP));
	CHECK(steps_ok && zero && data && end == start + STEPS * STEP,
	      "growth");
	CHECK(sys_brk(NULL) == end, "brk(0) sees the new break");

	/* Shrink by half, grow back: the regrown half reads as zero. */
	char *half = start + STEPS / 2 * STEP;
	CHECK(sys_brk(half) == half, "brk shrink");
	CHECK(sbrk(0) == half, "sbrk(0) after shrink");
	CHECK(sys_brk(end) == end, "brk grow again");
	int rezero = 1;
	for (char *q = half; q < end; q += 4096)
		rezero &= *q == 0;
	int lower = start[0] == 1 && half[-1] == STEPS / 2;
	say("shrunk to half and regrown: regrown part zero %s, lower half kept "
	    "%s",
	    yesno(rezero), yesno(lower));
	CHECK(rezero && lower, "shrink and regrow");

	/* An absurd request fails and the break stays. */
	char *r = sys_brk((void *)0x7ffffffff000ul);
	say("break at 128 TiB refused, break unchanged: %s",
	    yesno(r == end && sbrk(0) == end));
	CHECK(r == end && sbrk(0) == end, "absurd brk");

	CHECK(sys_brk(start) == start, "back to the start");
	return ctest_ok();
}

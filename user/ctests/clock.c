/* clock: CLOCK_MONOTONIC never goes backwards over 10000 reads (nor
 * CLOCK_REALTIME's seconds by more than a step); nanosleep of 20 ms takes
 * between 20 ms and 2 s by CLOCK_MONOTONIC; clock_nanosleep relative and
 * absolute (TIMER_ABSTIME) likewise; EINVAL for a bad tv_nsec;
 * gettimeofday, time and CLOCK_REALTIME agree and are after 2020;
 * clock_getres; getrandom gives different, not-all-zero bytes. */
#include "ctest.h"
#include <sys/random.h>
#include <sys/time.h>

static uint64_t ts_ns(struct timespec t)
{
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int in_bounds(uint64_t ns)
{
	return ns >= 20000000ull && ns < 2000000000ull;
}

int main(void)
{
	ctest_start("clock");

	/* Monotonic over many reads. */
	struct timespec prev, now;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &prev) == 0, "CLOCK_MONOTONIC");
	int backwards = 0, bad_nsec = 0;
	for (int i = 0; i < 10000; i++) {
		CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0, "CLOCK_MONOTONIC");
		backwards += ts_ns(now) < ts_ns(prev);
		bad_nsec += now.tv_nsec < 0 || now.tv_nsec >= 1000000000L;
		prev = now;
	}
	say("CLOCK_MONOTONIC, 10000 reads: went backwards %d times, bad tv_nsec "
	    "%d",
	    backwards, bad_nsec);
	CHECK(backwards == 0 && bad_nsec == 0, "monotonic");

	/* nanosleep 20 ms. */
	struct timespec req = { 0, 20000000L };
	uint64_t t0 = now_ns();
	CHECK(nanosleep(&req, NULL) == 0, "nanosleep");
	uint64_t took = now_ns() - t0;
	say("nanosleep 20 ms: took between 20 ms and 2 s: %s", yesno(in_bounds(took)));
	CHECK(in_bounds(took), "nanosleep duration");

	/* clock_nanosleep, relative and absolute. */
	t0 = now_ns();
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0,
	      "clock_nanosleep");
	took = now_ns() - t0;
	say("clock_nanosleep relative 20 ms: in bounds: %s", yesno(in_bounds(took)));
	CHECK(in_bounds(took), "clock_nanosleep relative");
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	t0 = ts_ns(until);
	until.tv_nsec += 20000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0,
	      "clock_nanosleep TIMER_ABSTIME");
	took = now_ns() - t0;
	say("clock_nanosleep to an absolute time 20 ms ahead: in bounds: %s",
	    yesno(in_bounds(took)));
	CHECK(in_bounds(took), "clock_nanosleep absolute");

	struct timespec bad = { 0, 1000000000L };
	errno = 0;
	int r = nanosleep(&bad, NULL);
	say("nanosleep with tv_nsec 1e9: %s",
	    r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "nanosleep EINVAL");

	/* Wall clock. */
	struct timeval tv;
	struct timespec rt;
	CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0, "CLOCK_REALTIME");
	time_t t = time(NULL);
	int sane = tv.tv_sec > 1577836800 && tv.tv_usec >= 0 &&
		   tv.tv_usec < 1000000;
	long diff = (long)(rt.tv_sec - tv.tv_sec);
	int agree = diff >= 0 && diff <= 1 && t >= tv.tv_sec && t - tv.tv_sec <= 1;
	say("gettimeofday after 2020 with tv_usec in range: %s; agrees with "
	    "CLOCK_REALTIME and time(): %s",
	    yesno(sane), yesno(agree));
	CHECK(sane && agree, "wall clock");

	/* Realtime advances with monotonic over a sleep (within a second). */
	struct timespec m0, r0, m1, r1;
	clock_gettime(CLOCK_MONOTONIC, &m0);
	clock_gettime(CLOCK_REALTIME, &r0);
	sleep_ms(30);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r1);
	long long dm = (long long)(ts_ns(m1) - ts_ns(m0));
	long long dr = (long long)ts_ns(r1) - (long long)ts_ns(r0);
	int together = dm >= 30000000LL && llabs(dr - dm) < 1000000000LL;
	say("over a 30 ms sleep both clocks advance together: %s",
	    yesno(together));
	CHECK(together, "clocks advance together");

	struct timespec res;
	CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0, "clock_getres");
	int fine = res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000L;
	say("CLOCK_MONOTONIC resolution between 1 ns and 10 ms: %s", yesno(fine));
	CHECK(fine, "clock_getres");

	/* getrandom. */
	unsigned char a[32], b[32];
	CHECK(getrandom(a, sizeof a, 0) == sizeof a, "getrandom");
	CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == sizeof b,
	      "getrandom GRND_NONBLOCK");
	int nonzero = 0;
	for (size_t i = 0; i < sizeof a; i++)
		nonzero |= a[i];
	int differ = memcmp(a, b, sizeof a) != 0;
	say("getrandom: 32 bytes twice, differ %s, not all zero %s",
	    yesno(differ), yesno(nonzero));
	CHECK(differ && nonzero, "getrandom");

	return ctest_ok();
}

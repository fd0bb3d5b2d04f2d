/* orphan: a process whose parent exits is re-parented (to init, or on the
 * host possibly to a subreaper): its getppid changes away from the dead
 * parent. The grandchild reports through a pipe, so the output order does
 * not depend on scheduling. Also: a parent that exits without waiting
 * leaves no trace the grandparent can wait for. */
#include "ctest.h"

int main(void)
{
	ctest_start("orphan");

	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t mid = xfork();
	if (mid == 0) {
		close(p[0]);
		pid_t me = getpid();
		pid_t g = xfork();
		if (g == 0) {
			/* Wait (up to 5 s) for our parent to be gone. */
			uint64_t t0 = now_ns();
			while (getppid() == me &&
			       now_ns() - t0 < 5000000000ull)
				sleep_ms(1);
			char r = getppid() != me ? 'Y' : 'N';
			write_all(p[1], &r, 1);
			_exit(0);
		}
		_exit(3); /* without waiting for the grandchild */
	}
	close(p[1]);
	expect_exit(mid, 3, "the middle process");
	say("middle process exited: 3");

	char r = 0;
	CHECK(read_full(p[0], &r, 1) == 1, "the orphan's report");
	say("reparented: %s", yesno(r == 'Y'));
	CHECK(r == 'Y', "orphan's getppid changed");

	/* The grandchild is not ours to wait for. */
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
	      "no children left to wait for");
	say("grandchild not waitable by its grandparent: yes");

	return ctest_ok();
}

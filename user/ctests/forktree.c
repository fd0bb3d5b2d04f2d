/* forktree: a binary tree of processes four levels deep (31 processes),
 * every child started before any is waited for. Each node checks its
 * getppid, reports its pid down a shared pipe, and exits with the size of
 * its subtree, summed from its children's exit codes; then a wide level
 * of 12 children of one parent reaped in reverse order. */
#include "ctest.h"

#define DEPTH 4
#define FANOUT 2
#define BAD 255

static int report_fd;

/* Runs one node; returns its subtree size or BAD. */
static int node(int depth, pid_t parent)
{
	if (getppid() != parent)
		return BAD;
	pid_t me = getpid();
	if (write_all(report_fd, &me, sizeof me) != 0)
		return BAD;
	if (depth == DEPTH)
		return 1;
	pid_t kids[FANOUT];
	for (int i = 0; i < FANOUT; i++) {
		kids[i] = xfork();
		if (kids[i] == 0)
			_exit(node(depth + 1, me));
	}
	int size = 1;
	for (int i = 0; i < FANOUT; i++) {
		int st = wait_for(kids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) == BAD)
			return BAD;
		size += WEXITSTATUS(st);
	}
	return size;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	ctest_start("forktree");

	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	report_fd = p[1];
	pid_t root = xfork();
	if (root == 0) {
		close(p[0]);
		_exit(node(0, getppid()));
	}
	close(p[1]);
	int st = wait_for(root);
	CHECK(WIFEXITED(st), "tree root exited");
	say("tree of depth %d, fan-out %d: %d processes", DEPTH, FANOUT,
	    WEXITSTATUS(st));
	CHECK(WEXITSTATUS(st) == 31, "subtree sizes add up to 31");

	pid_t pids[64];
	ssize_t n = read_full(p[0], pids, sizeof pids);
	close(p[0]);
	CHECK(n >= 0 && n % (ssize_t)sizeof(pid_t) == 0, "reports are whole");
	int count = (int)(n / (ssize_t)sizeof(pid_t));
	qsort(pids, (size_t)count, sizeof(pid_t), cmp_pid);
	int distinct = count > 0;
	for (int i = 1; i < count; i++)
		distinct += pids[i] != pids[i - 1];
	say("reports: %d, distinct pids: %d", count, distinct);
	CHECK(count == 31 && distinct == 31, "31 distinct pids");

	/* A wide level: 12 children alive at once, reaped newest first. */
	pid_t wide[12];
	int gate[2];
	CHECK(pipe(gate) == 0, "pipe");
	for (int i = 0; i < 12; i++) {
		wide[i] = xfork();
		if (wide[i] == 0) {
			char c;
			close(gate[1]);
			read_full(gate[0], &c, 1); /* EOF once all exist */
			_exit(i);
		}
	}
	close(gate[0]);
	close(gate[1]);
	int sum = 0;
	for (int i = 11; i >= 0; i--) {
		st = wait_for(wide[i]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == i, "wide child code");
		sum += WEXITSTATUS(st);
	}
	say("12 children reaped newest first, codes sum %d", sum);
	CHECK(sum == 66, "codes sum");

	return ctest_ok();
}

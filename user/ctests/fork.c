/* fork: parent and child memory diverge after a write (globals, heap,
 * stack, a multi-page buffer, in both directions), fork's return values,
 * getpid/getppid, descriptors inherited, vfork, and exit statuses. */
#include "ctest.h"

static int global = 1;
static char big[64 * 4096];

int main(void)
{
	ctest_start("fork");

	int stackvar = 10;
	int *heap = malloc(sizeof *heap);
	CHECK(heap != NULL, "malloc");
	*heap = 100;
	memset(big, 'p', sizeof big);
	pid_t parent = getpid();

	/* Child writes; the parent must not see it. The child reports what it
	 * saw over a pipe. */
	int to_parent[2], to_child[2];
	CHECK(pipe(to_parent) == 0 && pipe(to_child) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		int ok = getpid() != parent && getppid() == parent;
		ok = ok && global == 1 && stackvar == 10 && *heap == 100;
		ok = ok && big[0] == 'p' && big[sizeof big - 1] == 'p';
		global = 2;
		stackvar = 20;
		*heap = 200;
		memset(big, 'c', sizeof big);
		/* Let the parent write after our write, then look again. */
		char go;
		CHECK(read_full(to_child[0], &go, 1) == 1, "child: read go");
		ok = ok && global == 2 && stackvar == 20 && *heap == 200;
		for (size_t i = 0; i < sizeof big; i += 4096)
			ok = ok && big[i] == 'c';
		char r = ok ? 'Y' : 'N';
		CHECK(write_all(to_parent[1], &r, 1) == 0, "child: write");
		_exit(ok ? 7 : 1);
	}
	close(to_parent[1]);
	close(to_child[0]);
	CHECK(pid != parent, "fork returns the child's pid");
	/* Parent writes too, after the child has forked. */
	global = 3;
	stackvar = 30;
	*heap = 300;
	memset(big, 'P', sizeof big / 2);
	CHECK(write_all(to_child[1], "g", 1) == 0, "write go");
	char r = 0;
	CHECK(read_full(to_parent[0], &r, 1) == 1, "read child's report");
	expect_exit(pid, 7, "fork child");
	say("child saw its own writes only: %s", yesno(r == 'Y'));
	CHECK(r == 'Y', "child's view of memory");
	int mine = global == 3 && stackvar == 30 && *heap == 300;
	mine = mine && big[0] == 'P' && big[sizeof big - 1] == 'p';
	say("parent saw its own writes only: %s", yesno(mine));
	CHECK(mine, "parent's view of memory");
	close(to_parent[0]);
	close(to_child[1]);

	/* Several children in a row, each with its own exit code; wait(NULL)
	 * order does not matter, so collect by pid. */
	pid_t kids[5];
	for (int i = 0; i < 5; i++) {
		kids[i] = xfork();
		if (kids[i] == 0)
			_exit(10 + i);
	}
	int sum = 0;
	for (int i = 0; i < 5; i++) {
		int st = wait_for(kids[i]);
		CHECK(WIFEXITED(st), "child exited");
		sum += WEXITSTATUS(st);
	}
	say("five children, exit codes sum: %d", sum);
	CHECK(sum == 10 + 11 + 12 + 13 + 14, "exit code sum");
	CHECK(wait(NULL) < 0 && errno == ECHILD, "no children left: ECHILD");
	say("wait with no children: ECHILD");

	/* vfork: the parent is suspended until the child exits. */
	volatile int after = 0;
	pid = vfork();
	CHECK(pid >= 0, "vfork");
	if (pid == 0)
		_exit(5);
	after = 1;
	expect_exit(pid, 5, "vfork child");
	say("vfork child exit: 5, parent resumed: %s", yesno(after == 1));

	/* A child of a child: getppid is the middle process. */
	pid = xfork();
	if (pid == 0) {
		pid_t mid = getpid();
		pid_t g = xfork();
		if (g == 0)
			_exit(getppid() == mid ? 0 : 1);
		expect_exit(g, 0, "grandchild sees its parent");
		_exit(0);
	}
	expect_exit(pid, 0, "middle process");
	say("grandchild's getppid is its parent: yes");

	free(heap);
	return ctest_ok();
}

/* locks: advisory file locks. Usage: locks DIR, with DIR a writable
 * directory (the test makes and removes two files in it).
 * flock(2) between processes (an exclusive lock refuses LOCK_NB with
 * EWOULDBLOCK, a blocked LOCK_EX is granted when the holder unlocks,
 * shared locks share, a forked child shares the parent's description and
 * so its lock, a failed upgrade drops the shared lock); fcntl record
 * locks (F_SETLK refused with EAGAIN, F_GETLK names the holder, ranges
 * split and merge as another process sees them, every lock of a process
 * on a file goes when it closes any descriptor of that file, F_SETLKW is
 * granted on unlock, EDEADLK for two processes waiting on each other,
 * the argument errors); flock and record locks are independent; OFD
 * locks (two opens in one process conflict, F_OFD_GETLK reports pid -1,
 * they conflict with the process's own POSIX locks and go with their
 * description); a signal interrupts a blocked F_SETLKW and a blocked
 * flock with EINTR, and the interrupted request is gone (it makes no false
 * EDEADLK later). Children report through pipes and their exit codes; a
 * process is checked to be blocked by seeing no reply for 100 ms. */
#include "ctest.h"
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>

static char path_a[512], path_b[512];

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open");
	return fd;
}

static void put(int fd)
{
	CHECK(write_all(fd, "x", 1) == 0, "pipe write");
}

static void get(int fd)
{
	char c;
	CHECK(read_full(fd, &c, 1) == 1, "pipe read");
}

/* Whether a byte arrives on fd within ms milliseconds. */
static int arrives(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	CHECK(r >= 0, "poll");
	return r > 0;
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int r;
	do
		r = fcntl(fd, cmd, &fl);
	while (r < 0 && errno == EINTR && cmd != F_SETLKW && cmd != F_OFD_SETLKW);
	return r;
}

static const char *type_name(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

/* F_GETLK (or F_OFD_GETLK) for type on [start, start+len) in a child
 * process, which prints what it finds; parent is the pid expected to
 * hold a POSIX lock. */
static void probe(const char *what, int fd, int cmd, short type, off_t start, off_t len)
{
	pid_t parent = getpid();
	pid_t pid = xfork();
	if (pid == 0) {
		struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
		CHECK(fcntl(fd, cmd, &fl) == 0, "F_GETLK");
		if (fl.l_type == F_UNLCK)
			say("%s: F_UNLCK", what);
		else
			say("%s: %s start %lld len %lld, pid is parent: %d, pid is -1: %d", what,
			    type_name(fl.l_type), (long long)fl.l_start, (long long)fl.l_len,
			    fl.l_pid == parent, fl.l_pid == -1);
		_exit(0);
	}
	expect_exit(pid, 0, what);
}

static void test_flock(void)
{
	int fd = open_rw(path_a);
	CHECK(flock(fd, LOCK_EX) == 0, "flock LOCK_EX");
	int ready[2], got[2];
	CHECK(pipe(ready) == 0 && pipe(got) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		/* An inherited descriptor is the same description: the same lock. */
		CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0, "child: flock on the inherited description");
		say("flock: child through the inherited description: granted (same lock)");
		int mine = open_rw(path_a);
		errno = 0;
		int r = flock(mine, LOCK_EX | LOCK_NB);
		say("flock: child LOCK_EX|LOCK_NB through its own open: %s",
		    r == -1 && errno == EWOULDBLOCK ? "EWOULDBLOCK" : "wrong");
		CHECK(r == -1 && errno == EWOULDBLOCK, "EWOULDBLOCK");
		r = flock(mine, LOCK_SH | LOCK_NB);
		CHECK(r == -1 && errno == EWOULDBLOCK, "LOCK_SH refused too");
		/* Record locks are another matter. */
		CHECK(setlk(mine, F_SETLK, F_WRLCK, 0, 0) == 0, "F_SETLK beside flock");
		CHECK(setlk(mine, F_SETLK, F_UNLCK, 0, 0) == 0, "F_UNLCK");
		say("flock: child F_SETLK F_WRLCK of the whole file beside it: granted");
		put(ready[1]);
		CHECK(flock(mine, LOCK_EX) == 0, "child: blocking LOCK_EX");
		say("flock: child's blocking LOCK_EX granted");
		put(got[1]);
		_exit(0);
	}
	get(ready[0]);
	int early = arrives(got[0], 100);
	say("flock: child blocked while the parent holds LOCK_EX: %s", yesno(!early));
	CHECK(!early, "child blocked");
	say("flock: parent unlocks");
	CHECK(flock(fd, LOCK_UN) == 0, "LOCK_UN");
	get(got[0]);
	expect_exit(pid, 0, "flock child");

	/* Shared locks share; a failed upgrade drops the shared lock. */
	CHECK(flock(fd, LOCK_SH) == 0, "LOCK_SH");
	pid = xfork();
	if (pid == 0) {
		int mine = open_rw(path_a);
		CHECK(flock(mine, LOCK_SH | LOCK_NB) == 0, "child: LOCK_SH beside LOCK_SH");
		say("flock: child LOCK_SH beside the parent's LOCK_SH: granted");
		put(ready[1]);
		get(got[0]);
		int r = flock(mine, LOCK_EX | LOCK_NB);
		say("flock: child upgrade after the parent's failed upgrade: %s",
		    r == 0 ? "granted (the parent's shared lock is gone)" : "refused");
		CHECK(r == 0, "child upgrade");
		_exit(0);
	}
	get(ready[0]);
	errno = 0;
	int r = flock(fd, LOCK_EX | LOCK_NB);
	say("flock: parent upgrade to LOCK_EX|LOCK_NB: %s",
	    r == -1 && errno == EWOULDBLOCK ? "EWOULDBLOCK" : "wrong");
	CHECK(r == -1 && errno == EWOULDBLOCK, "upgrade refused");
	put(got[1]);
	expect_exit(pid, 0, "upgrade child");
	close(ready[0]);
	close(ready[1]);
	close(got[0]);
	close(got[1]);
	close(fd);
}

static void test_records(void)
{
	int fd = open_rw(path_a);
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 10) == 0, "F_SETLK F_WRLCK 0..10");
	probe("F_GETLK F_RDLCK of the whole file", fd, F_GETLK, F_RDLCK, 0, 0);
	pid_t pid = xfork();
	if (pid == 0) {
		errno = 0;
		int r = setlk(fd, F_SETLK, F_RDLCK, 9, 1);
		say("child F_SETLK F_RDLCK of byte 9: %s", r == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
		CHECK(r == -1 && errno == EAGAIN, "EAGAIN");
		r = setlk(fd, F_SETLK, F_WRLCK, 10, 10);
		say("child F_SETLK F_WRLCK of bytes 10..20: %s", r == 0 ? "granted" : "refused");
		CHECK(r == 0, "no overlap");
		_exit(0);
	}
	expect_exit(pid, 0, "setlk child");

	/* Split: a read lock in the middle of the write lock. */
	CHECK(setlk(fd, F_SETLK, F_RDLCK, 3, 2) == 0, "F_RDLCK 3..5");
	say("parent: F_RDLCK over bytes 3..5 of its F_WRLCK 0..10");
	probe("  F_RDLCK of the whole file", fd, F_GETLK, F_RDLCK, 0, 0);
	probe("  F_RDLCK of bytes 3..5", fd, F_GETLK, F_RDLCK, 3, 2);
	probe("  F_WRLCK of bytes 3..10", fd, F_GETLK, F_WRLCK, 3, 7);
	probe("  F_RDLCK from byte 4", fd, F_GETLK, F_RDLCK, 4, 0);
	/* Merge: write again over the middle, then an adjacent write lock. */
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 3, 2) == 0, "F_WRLCK 3..5");
	say("parent: F_WRLCK over bytes 3..5 again");
	probe("  F_RDLCK from byte 4", fd, F_GETLK, F_RDLCK, 4, 0);
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 10, 10) == 0, "F_WRLCK 10..20");
	say("parent: F_WRLCK over bytes 10..20");
	probe("  F_RDLCK of byte 19", fd, F_GETLK, F_RDLCK, 19, 1);
	/* Unlock a hole. */
	CHECK(setlk(fd, F_SETLK, F_UNLCK, 5, 10) == 0, "F_UNLCK 5..15");
	say("parent: F_UNLCK of bytes 5..15");
	probe("  F_WRLCK from byte 5", fd, F_GETLK, F_WRLCK, 5, 0);
	probe("  F_WRLCK of bytes 5..15", fd, F_GETLK, F_WRLCK, 5, 10);
	/* A negative length: the bytes before the start. */
	probe("  F_RDLCK of the 3 bytes before byte 18", fd, F_GETLK, F_RDLCK, 18, -3);

	/* Closing any descriptor of the file drops all of the process's
	 * locks on it, even one never used for locking. */
	int other = open_rw(path_a);
	close(other);
	say("parent: opened and closed another descriptor of the file");
	probe("  F_WRLCK of the whole file", fd, F_GETLK, F_WRLCK, 0, 0);

	/* Argument errors. */
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	errno = 0;
	int r = fcntl(fd, F_GETLK, &fl);
	say("F_GETLK with F_UNLCK: %s", r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "F_GETLK F_UNLCK");
	errno = 0;
	r = setlk(fd, F_SETLK, F_WRLCK, -1, 1);
	say("F_SETLK at offset -1: %s", r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "negative start");
	errno = 0;
	r = setlk(fd, F_SETLK, F_WRLCK, 2, -3);
	say("F_SETLK of 3 bytes before byte 2: %s", r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "negative len below 0");
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = 5 };
	errno = 0;
	r = fcntl(fd, F_SETLK, &fl);
	say("F_SETLK with l_whence 5: %s", r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "bad whence");
	int ro = open(path_a, O_RDONLY | O_CLOEXEC);
	CHECK(ro >= 0, "open O_RDONLY");
	errno = 0;
	r = setlk(ro, F_SETLK, F_WRLCK, 0, 1);
	say("F_SETLK F_WRLCK through an O_RDONLY descriptor: %s",
	    r == -1 && errno == EBADF ? "EBADF" : "wrong");
	CHECK(r == -1 && errno == EBADF, "EBADF");
	CHECK(setlk(ro, F_SETLK, F_RDLCK, 0, 1) == 0, "F_RDLCK through O_RDONLY");
	close(ro);
	close(fd);
}

static void test_setlkw(void)
{
	int fd = open_rw(path_a);
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "F_WRLCK byte 0");
	int ready[2], got[2];
	CHECK(pipe(ready) == 0 && pipe(got) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		put(ready[1]);
		CHECK(setlk(fd, F_SETLKW, F_RDLCK, 0, 1) == 0, "child: F_SETLKW");
		say("F_SETLKW: child granted its F_RDLCK");
		put(got[1]);
		_exit(0);
	}
	get(ready[0]);
	int early = arrives(got[0], 100);
	say("F_SETLKW: child blocked while the parent holds F_WRLCK: %s", yesno(!early));
	CHECK(!early, "child blocked");
	say("F_SETLKW: parent unlocks");
	CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 1) == 0, "F_UNLCK");
	get(got[0]);
	expect_exit(pid, 0, "F_SETLKW child");
	close(ready[0]);
	close(ready[1]);
	close(got[0]);
	close(got[1]);
	close(fd);
}

/* Parent holds byte 0, child byte 1; each then waits for the other's.
 * Whichever asks second gets EDEADLK (the child is given 100 ms to block
 * first, so normally the parent), gives up its lock, and the other is
 * granted. */
static void test_deadlock(void)
{
	int fd = open_rw(path_a);
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "parent: byte 0");
	int ready[2];
	CHECK(pipe(ready) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		CHECK(setlk(fd, F_SETLK, F_WRLCK, 1, 1) == 0, "child: byte 1");
		put(ready[1]);
		int r = setlk(fd, F_SETLKW, F_WRLCK, 0, 1);
		if (r == -1 && errno == EDEADLK)
			_exit(2); /* drops byte 1 */
		CHECK(r == 0, "child: F_SETLKW byte 0");
		_exit(0);
	}
	get(ready[0]);
	sleep_ms(100);
	errno = 0;
	int r = setlk(fd, F_SETLKW, F_WRLCK, 1, 1);
	int parent_deadlk = r == -1 && errno == EDEADLK;
	CHECK(parent_deadlk || r == 0, "parent: F_SETLKW byte 1");
	if (parent_deadlk)
		CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 1) == 0, "parent: give up byte 0");
	int st = wait_for(pid);
	CHECK(WIFEXITED(st), "child exits");
	int child_deadlk = WEXITSTATUS(st) == 2;
	CHECK(WEXITSTATUS(st) == 0 || child_deadlk, "child status");
	say("two processes waiting for each other's lock: exactly one got EDEADLK: %s",
	    yesno(parent_deadlk + child_deadlk == 1));
	CHECK(parent_deadlk + child_deadlk == 1, "one EDEADLK");
	say("and the other was granted: yes");
	errno = 0;
	CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 0) == 0, "unlock all");
	close(ready[0]);
	close(ready[1]);
	close(fd);
}

static void test_ofd(void)
{
	int fd1 = open_rw(path_b), fd2 = open_rw(path_b);
	CHECK(setlk(fd1, F_OFD_SETLK, F_WRLCK, 0, 10) == 0, "F_OFD_SETLK via fd1");
	errno = 0;
	int r = setlk(fd2, F_OFD_SETLK, F_WRLCK, 5, 1);
	say("OFD: F_OFD_SETLK through a second open in the same process: %s",
	    r == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
	CHECK(r == -1 && errno == EAGAIN, "OFD conflict");
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	CHECK(fcntl(fd2, F_OFD_GETLK, &fl) == 0, "F_OFD_GETLK");
	say("OFD: F_OFD_GETLK through the second open: %s start %lld len %lld, pid is -1: %d",
	    type_name(fl.l_type), (long long)fl.l_start, (long long)fl.l_len, fl.l_pid == -1);
	CHECK(fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 10 && fl.l_pid == -1, "OFD GETLK");
	errno = 0;
	r = setlk(fd1, F_SETLK, F_RDLCK, 0, 1);
	say("OFD: the same process's F_SETLK over it: %s", r == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
	CHECK(r == -1 && errno == EAGAIN, "POSIX vs OFD");
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_pid = 1 };
	errno = 0;
	r = fcntl(fd2, F_OFD_SETLK, &fl);
	say("OFD: F_OFD_SETLK with l_pid 1: %s", r == -1 && errno == EINVAL ? "EINVAL" : "wrong");
	CHECK(r == -1 && errno == EINVAL, "l_pid != 0");
	probe("OFD: another process's F_GETLK", fd2, F_GETLK, F_RDLCK, 0, 0);
	/* Closing another descriptor of the file does not drop OFD locks... */
	int other = open_rw(path_b);
	close(other);
	r = setlk(fd2, F_OFD_SETLK, F_WRLCK, 5, 1);
	say("OFD: after closing another descriptor, still held: %s", yesno(r == -1 && errno == EAGAIN));
	CHECK(r == -1 && errno == EAGAIN, "OFD survives close of another fd");
	/* ...closing its description does. */
	close(fd1);
	r = setlk(fd2, F_OFD_SETLK, F_WRLCK, 5, 1);
	say("OFD: after closing the first open, the second locks: %s", r == 0 ? "granted" : "refused");
	CHECK(r == 0, "OFD lock dropped with its description");
	close(fd2);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* The child waits in F_SETLKW, then in flock, for the parent's locks and
 * is interrupted each time by SIGUSR1 (a handler without SA_RESTART).
 * Then the child takes byte 1 and the parent waits for it while holding
 * byte 0, which the child no longer waits for: no EDEADLK, granted when
 * the child lets go. */
static void test_interrupt(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	int fd = open_rw(path_a);
	CHECK(setlk(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "parent: byte 0");
	CHECK(flock(fd, LOCK_EX) == 0, "parent: flock");
	int ready[2];
	CHECK(pipe(ready) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		int mine = open_rw(path_a);
		put(ready[1]);
		errno = 0;
		int r = setlk(mine, F_SETLKW, F_WRLCK, 0, 1);
		say("interrupt: child's F_SETLKW stopped by a signal: %s",
		    r == -1 && errno == EINTR ? "EINTR" : "wrong");
		CHECK(r == -1 && errno == EINTR, "F_SETLKW EINTR");
		put(ready[1]);
		errno = 0;
		r = flock(mine, LOCK_EX);
		say("interrupt: child's flock LOCK_EX stopped by a signal: %s",
		    r == -1 && errno == EINTR ? "EINTR" : "wrong");
		CHECK(r == -1 && errno == EINTR, "flock EINTR");
		CHECK(setlk(mine, F_SETLK, F_WRLCK, 1, 1) == 0, "child: byte 1");
		put(ready[1]);
		sleep_ms(100);
		CHECK(setlk(mine, F_SETLK, F_UNLCK, 1, 1) == 0, "child: unlock byte 1");
		_exit(0);
	}
	get(ready[0]);
	sleep_ms(100);
	CHECK(kill(pid, SIGUSR1) == 0, "kill");
	get(ready[0]);
	sleep_ms(100);
	CHECK(kill(pid, SIGUSR1) == 0, "kill");
	get(ready[0]);
	errno = 0;
	int r = setlk(fd, F_SETLKW, F_WRLCK, 1, 1);
	say("interrupt: then the parent's F_SETLKW for the child's byte: %s",
	    r == 0 ? "granted" : errno == EDEADLK ? "EDEADLK" : "wrong");
	CHECK(r == 0, "no stale waiter");
	expect_exit(pid, 0, "interrupt child");
	CHECK(setlk(fd, F_SETLK, F_UNLCK, 0, 0) == 0, "unlock all");
	close(ready[0]);
	close(ready[1]);
	close(fd);
}

int main(int argc, char **argv)
{
	ctest_start("locks");
	CHECK(argc == 2, "usage: locks DIR");
	snprintf(path_a, sizeof path_a, "%s/locks-a", argv[1]);
	snprintf(path_b, sizeof path_b, "%s/locks-b", argv[1]);
	for (int i = 0; i < 2; i++) {
		int fd = open(i ? path_b : path_a, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		CHECK(fd >= 0, "create");
		CHECK(write_all(fd, "0123456789abcdefghij", 20) == 0, "fill");
		close(fd);
	}

	test_flock();
	test_records();
	test_setlkw();
	test_deadlock();
	test_ofd();
	test_interrupt();

	CHECK(unlink(path_a) == 0 && unlink(path_b) == 0, "unlink");
	return ctest_ok();
}

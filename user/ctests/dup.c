/* dup: dup gives the lowest free descriptor; dup2 redirects stdout of a
 * child into a pipe; dup2 onto itself and onto an open descriptor; dup3
 * with O_CLOEXEC, and EINVAL for equal descriptors; F_DUPFD and
 * F_DUPFD_CLOEXEC; F_GETFD/F_SETFD; F_GETFL/F_SETFL with O_NONBLOCK shared
 * by duplicates; EBADF for closed descriptors; close-on-exec honoured
 * across execve of exec-target (path in argv[1]). */
#include "ctest.h"

int main(int argc, char **argv)
{
	ctest_start("dup");
	CHECK(argc == 2, "usage: dup PATH-OF-exec-target");

	int p[2];
	CHECK(pipe(p) == 0, "pipe");

	/* dup: lowest free. Close a low descriptor and dup into it. */
	int a = dup(p[0]);
	CHECK(a > p[1], "dup above the pipe");
	close(p[0]);
	int b = dup(p[1]);
	say("dup reuses the lowest free descriptor: %s", yesno(b == p[0]));
	CHECK(b == p[0], "lowest free");
	close(b);
	p[0] = a;

	/* dup2 redirection of stdout in a child. */
	pid_t pid = xfork();
	if (pid == 0) {
		CHECK(dup2(p[1], 1) == 1, "dup2 onto stdout");
		close(p[1]);
		close(p[0]);
		printf("redirected line\n");
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	char buf[64] = { 0 };
	ssize_t n = read_full(p[0], buf, sizeof buf - 1);
	expect_exit(pid, 0, "redirected child");
	close(p[0]);
	say("child's stdout through dup2: \"%.*s\"", (int)(n > 0 ? n - 1 : 0),
	    buf);
	CHECK(n == 16 && strcmp(buf, "redirected line\n") == 0, "redirect");

	/* dup2 onto itself, onto an open descriptor, and from a closed one. */
	CHECK(pipe(p) == 0, "pipe");
	CHECK(dup2(p[0], p[0]) == p[0], "dup2 onto itself");
	int other[2];
	CHECK(pipe(other) == 0, "pipe");
	CHECK(dup2(p[1], other[1]) == other[1], "dup2 onto an open fd");
	CHECK(write(other[1], "q", 1) == 1, "write through the new fd");
	char c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'q', "read it from the pipe");
	CHECK(close(other[1]) == 0, "close");
	/* other[0]'s writer was replaced by dup2, so it has no writer left. */
	n = read(other[0], &c, 1);
	say("dup2 onto an open descriptor closes the old file: %s",
	    yesno(n == 0));
	CHECK(n == 0, "old file closed by dup2");
	close(other[0]);
	errno = 0;
	int r = dup2(100, 101);
	say("dup2 from a closed descriptor: %s",
	    r == -1 && errno == EBADF ? "EBADF" : "wrong");
	CHECK(r == -1 && errno == EBADF, "EBADF");

	/* dup3. */
	r = dup3(p[0], 20, O_CLOEXEC);
	CHECK(r == 20, "dup3");
	say("dup3 O_CLOEXEC: FD_CLOEXEC %s",
	    yesno(fcntl(20, F_GETFD) & FD_CLOEXEC));
	CHECK(fcntl(20, F_GETFD) == FD_CLOEXEC, "dup3 cloexec");
	errno = 0;
	r = dup3(20, 20, 0);
	say("dup3 onto itself: %s", r == -1 && errno == EINVAL ? "EINVAL"
							     : "wrong");
	CHECK(r == -1 && errno == EINVAL, "dup3 EINVAL");
	close(20);

	/* F_DUPFD, F_DUPFD_CLOEXEC. */
	r = fcntl(p[0], F_DUPFD, 30);
	CHECK(r == 30 && fcntl(30, F_GETFD) == 0, "F_DUPFD");
	r = fcntl(p[0], F_DUPFD, 30);
	CHECK(r == 31, "F_DUPFD takes the next free");
	r = fcntl(p[0], F_DUPFD_CLOEXEC, 30);
	CHECK(r == 32 && fcntl(32, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC");
	say("F_DUPFD from 30: 30 then 31; F_DUPFD_CLOEXEC: 32, cloexec");
	close(30);
	close(31);
	close(32);

	/* F_GETFD/F_SETFD. */
	CHECK(fcntl(p[0], F_GETFD) == 0, "no cloexec by default");
	CHECK(fcntl(p[0], F_SETFD, FD_CLOEXEC) == 0, "F_SETFD");
	int fd = fcntl(p[0], F_GETFD);
	CHECK(fcntl(p[0], F_SETFD, 0) == 0, "F_SETFD 0");
	say("F_SETFD FD_CLOEXEC then F_GETFD: %d, cleared: %d", fd,
	    fcntl(p[0], F_GETFD));
	CHECK(fd == FD_CLOEXEC && fcntl(p[0], F_GETFD) == 0, "F_GETFD");

	/* F_GETFL/F_SETFL; status flags are shared with duplicates, the
	 * descriptor flag is not. */
	int acc0 = fcntl(p[0], F_GETFL) & O_ACCMODE;
	int acc1 = fcntl(p[1], F_GETFL) & O_ACCMODE;
	say("F_GETFL access modes: read end O_RDONLY %s, write end O_WRONLY %s",
	    yesno(acc0 == O_RDONLY), yesno(acc1 == O_WRONLY));
	CHECK(acc0 == O_RDONLY && acc1 == O_WRONLY, "access modes");
	int d = dup(p[0]);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "F_SETFL");
	CHECK(fcntl(p[0], F_SETFD, FD_CLOEXEC) == 0, "F_SETFD");
	int shared = (fcntl(d, F_GETFL) & O_NONBLOCK) != 0;
	int own = fcntl(d, F_GETFD) == 0;
	errno = 0;
	n = read(d, &c, 1);
	say("O_NONBLOCK set on one is seen by its dup: %s (read %s); "
	    "FD_CLOEXEC is not: %s",
	    yesno(shared), n == -1 && errno == EAGAIN ? "EAGAIN" : "wrong",
	    yesno(own));
	CHECK(shared && own && n == -1 && errno == EAGAIN, "shared flags");
	close(d);
	close(p[0]);
	close(p[1]);

	errno = 0;
	r = fcntl(100, F_GETFD);
	say("F_GETFD of a closed descriptor: %s",
	    r == -1 && errno == EBADF ? "EBADF" : "wrong");
	CHECK(r == -1 && errno == EBADF, "F_GETFD EBADF");
	errno = 0;
	r = close(100);
	CHECK(r == -1 && errno == EBADF, "close EBADF");

	/* Close-on-exec across execve: 10 has FD_CLOEXEC, 11 has not, 12 was
	 * made by dup3 with O_CLOEXEC. */
	CHECK(pipe(p) == 0, "pipe");
	CHECK(dup2(p[0], 10) == 10 && dup2(p[1], 11) == 11, "dup2");
	CHECK(dup3(p[1], 12, O_CLOEXEC) == 12, "dup3");
	CHECK(fcntl(10, F_SETFD, FD_CLOEXEC) == 0, "F_SETFD");
	pid = xfork();
	if (pid == 0) {
		char *args[] = { "exec-target", NULL };
		char *env[] = { "EXPECT_CLOSED=10,12", "EXPECT_OPEN=11", NULL };
		execve(argv[1], args, env);
		say("FAIL: execve %s: %s", argv[1], strerror(errno));
		_exit(127);
	}
	expect_exit(pid, 0, "exec-target checking descriptors");
	say("close-on-exec honoured across execve: yes");

	return ctest_ok();
}

/* copy-wait: splice, tee and sendfile that wait for a pipe. Usage:
 *   copy-wait DIR
 * DIR is a writable, empty directory on a tmpfs. A child fills or drains
 * the pipe after a while; the parent's call waits for it. */
#include "ctest.h"
#include <sys/sendfile.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	ctest_start("copy-wait");
	CHECK(argc == 2 && chdir(argv[1]) == 0, "chdir DIR");
	int p[2], q[2];
	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipes");
	int f = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(f >= 0, "open f");

	/* splice from an empty pipe waits for a writer's bytes. */
	pid_t c = xfork();
	if (c == 0) {
		sleep_ms(100);
		_exit(write_all(p[1], "late", 4) == 0 ? 0 : 1);
	}
	ssize_t n = splice(p[0], NULL, f, NULL, 100, 0);
	char buf[70000] = { 0 };
	CHECK(pread(f, buf, sizeof buf, 0) >= 0, "pread f");
	say("splice from an empty pipe waited: %zd \"%s\"", n, buf);
	CHECK(n == 4 && strcmp(buf, "late") == 0, "splice waits");
	expect_exit(c, 0, "writer");

	/* tee from an empty pipe waits too, and leaves the bytes. */
	c = xfork();
	if (c == 0) {
		sleep_ms(100);
		_exit(write_all(p[1], "again", 5) == 0 ? 0 : 1);
	}
	n = tee(p[0], q[1], 100, 0);
	memset(buf, 0, sizeof buf);
	ssize_t a = read(p[0], buf, 100);
	ssize_t b = read(q[0], buf + 10, 100);
	say("tee from an empty pipe waited: %zd, then %zd \"%s\" and %zd \"%s\"", n, a, buf, b, buf + 10);
	CHECK(n == 5 && a == 5 && b == 5, "tee waits");
	expect_exit(c, 0, "writer 2");

	/* sendfile to a full pipe waits for a reader to drain it. */
	CHECK(pwrite(f, buf, 1000, 0) == 1000, "pwrite f");
	memset(buf, 'x', sizeof buf);
	CHECK(write_all(p[1], buf, 65536) == 0, "fill pipe");
	c = xfork();
	if (c == 0) {
		sleep_ms(100);
		char r[65536];
		_exit(read_full(p[0], r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
	}
	off_t off = 0;
	n = sendfile(p[1], f, &off, 1000);
	say("sendfile to a full pipe waited: %zd, pointer %lld", n, (long long)off);
	CHECK(n == 1000 && off == 1000, "sendfile waits");
	expect_exit(c, 0, "reader");
	CHECK(read_full(p[0], buf, 1000) == 1000, "read the rest");

	/* splice from a pipe whose writer goes while it waits: 0. */
	int r2[2];
	CHECK(pipe(r2) == 0, "pipe 3");
	c = xfork();
	if (c == 0) {
		sleep_ms(100);
		_exit(0);
	}
	close(r2[1]);
	/* The child holds the write end until it ends. */
	n = splice(r2[0], NULL, f, NULL, 10, 0);
	say("splice while the last writer goes: %zd", n);
	CHECK(n == 0, "writer gone");
	expect_exit(c, 0, "child");

	/* SIGPIPE and EPIPE: a pipe with no reader. */
	close(r2[0]);
	CHECK(pipe(r2) == 0, "pipe 4");
	close(r2[0]);
	signal(SIGPIPE, SIG_IGN);
	off = 0;
	FAILS_WITH(sendfile(r2[1], f, &off, 10), EPIPE, "sendfile to a pipe with no reader");
	FAILS_WITH(splice(f, NULL, r2[1], NULL, 10, 0), EPIPE, "splice to a pipe with no reader");
	close(r2[1]);
	close(f);
	CHECK(unlink("f") == 0, "unlink");
	return ctest_ok();
}

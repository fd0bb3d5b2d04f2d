/* pipe: a request and reply between parent and child over two pipes;
 * 256 KiB streamed through a pipe with a checksum (blocking, partial
 * reads); EOF once every writer is closed; a write with the reader gone
 * kills by SIGPIPE by default, gives EPIPE with SIGPIPE ignored, and runs
 * a SIGPIPE handler then gives EPIPE; O_NONBLOCK reads and writes give
 * EAGAIN; pipe2 flags; poll: POLLIN, POLLOUT, POLLHUP, POLLERR, and a
 * timeout on an empty pipe. */
#include "ctest.h"
#include <poll.h>

static volatile sig_atomic_t pipe_sigs;
static void on_pipe(int sig)
{
	(void)sig;
	pipe_sigs++;
}

#define STREAM (256 * 1024)

int main(void)
{
	ctest_start("pipe");

	/* Request and reply. */
	int down[2], up[2];
	CHECK(pipe(down) == 0 && pipe(up) == 0, "pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		char buf[64];
		ssize_t n = read(down[0], buf, sizeof buf);
		CHECK(n > 0, "child: read");
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] -= 32;
		CHECK(write_all(up[1], buf, (size_t)n) == 0, "child: write");
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	CHECK(write_all(down[1], "hello pipe", 10) == 0, "write request");
	char reply[64] = { 0 };
	CHECK(read_full(up[0], reply, 10) == 10, "read reply");
	expect_exit(pid, 0, "echo child");
	say("reply from the child: %s", reply);
	CHECK(strcmp(reply, "HELLO PIPE") == 0, "reply");

	/* EOF: the child has exited and we close our write end. */
	close(down[1]);
	char c;
	ssize_t n = read(up[0], &c, 1);
	say("read after every writer closed: %zd (EOF)", n);
	CHECK(n == 0, "EOF");
	close(up[0]);

	/* Streaming more than the pipe holds. */
	int s[2];
	CHECK(pipe(s) == 0, "pipe");
	pid = xfork();
	if (pid == 0) {
		close(s[0]);
		static unsigned char out[STREAM];
		for (int i = 0; i < STREAM; i++)
			out[i] = (unsigned char)(i * 7 + i / 251);
		/* Odd-sized writes. */
		for (int off = 0; off < STREAM;) {
			int len = STREAM - off < 3001 ? STREAM - off : 3001;
			CHECK(write_all(s[1], out + off, (size_t)len) == 0,
			      "child: stream write");
			off += len;
		}
		_exit(0);
	}
	close(s[1]);
	static unsigned char in[STREAM + 1];
	n = read_full(s[0], in, sizeof in);
	int same = n == STREAM;
	for (int i = 0; same && i < STREAM; i++)
		same = in[i] == (unsigned char)(i * 7 + i / 251);
	expect_exit(pid, 0, "stream writer");
	close(s[0]);
	say("streamed %zd bytes, all correct: %s", n, yesno(same));
	CHECK(same, "stream");

	/* Reader gone: default SIGPIPE kills the writer. */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	pid = xfork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		write(p[1], "x", 1);
		_exit(99);
	}
	int st = wait_for(pid);
	say("write with no reader, default action: killed by SIGPIPE: %s",
	    yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "SIGPIPE kills");

	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	n = write(p[1], "x", 1);
	say("with SIGPIPE ignored: %s", n == -1 && errno == EPIPE ? "EPIPE"
								 : "wrong");
	CHECK(n == -1 && errno == EPIPE, "EPIPE");

	signal(SIGPIPE, on_pipe);
	errno = 0;
	n = write(p[1], "x", 1);
	say("with a SIGPIPE handler: handler ran %d, write %s", (int)pipe_sigs,
	    n == -1 && errno == EPIPE ? "EPIPE" : "wrong");
	CHECK(pipe_sigs == 1 && n == -1 && errno == EPIPE, "handler + EPIPE");
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);

	/* Non-blocking. */
	CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2");
	int fl0 = fcntl(p[0], F_GETFL), fd0 = fcntl(p[0], F_GETFD);
	say("pipe2 O_NONBLOCK|O_CLOEXEC: nonblock %s, cloexec %s",
	    yesno(fl0 & O_NONBLOCK), yesno(fd0 & FD_CLOEXEC));
	CHECK((fl0 & O_NONBLOCK) && (fd0 & FD_CLOEXEC), "pipe2 flags");
	errno = 0;
	n = read(p[0], &c, 1);
	say("non-blocking read of an empty pipe: %s",
	    n == -1 && errno == EAGAIN ? "EAGAIN" : "wrong");
	CHECK(n == -1 && errno == EAGAIN, "read EAGAIN");
	static char chunk[4096];
	long total = 0;
	for (;;) {
		n = write(p[1], chunk, sizeof chunk);
		if (n < 0)
			break;
		total += n;
		CHECK(total < 64L * 1024 * 1024, "the pipe never fills");
	}
	say("non-blocking writes until full, then: %s, some accepted: %s",
	    errno == EAGAIN ? "EAGAIN" : "wrong", yesno(total > 0));
	CHECK(errno == EAGAIN && total > 0, "write EAGAIN");
	long drained = 0;
	while ((n = read(p[0], chunk, sizeof chunk)) > 0)
		drained += n;
	say("drained what was written: %s", yesno(drained == total));
	CHECK(drained == total, "drain");

	/* poll. */
	struct pollfd pf[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
	int r = poll(pf, 2, 0);
	say("poll, empty pipe: ready %d, read end POLLIN %s, write end "
	    "POLLOUT %s",
	    r, yesno(pf[0].revents & POLLIN), yesno(pf[1].revents & POLLOUT));
	CHECK(r == 1 && !(pf[0].revents & POLLIN) && (pf[1].revents & POLLOUT),
	      "poll empty");
	uint64_t t0 = now_ns();
	r = poll(pf, 1, 30);
	uint64_t took = now_ns() - t0;
	say("poll read end with 30 ms timeout: %d, waited: %s", r,
	    yesno(took >= 25000000ull && took < 2000000000ull));
	CHECK(r == 0 && took >= 25000000ull && took < 2000000000ull,
	      "poll timeout");
	CHECK(write(p[1], "z", 1) == 1, "write");
	r = poll(pf, 1, 0);
	say("poll after a write: POLLIN %s", yesno(r == 1 && pf[0].revents & POLLIN));
	CHECK(r == 1 && (pf[0].revents & POLLIN), "POLLIN");
	CHECK(read(p[0], &c, 1) == 1, "read");

	/* poll wakes when a child writes. */
	pid = xfork();
	if (pid == 0) {
		sleep_ms(30);
		write(p[1], "w", 1);
		_exit(0);
	}
	pf[0].revents = 0;
	r = poll(pf, 1, 5000);
	say("poll woken by the child's write: %s",
	    yesno(r == 1 && pf[0].revents & POLLIN));
	CHECK(r == 1 && (pf[0].revents & POLLIN), "poll wakes");
	expect_exit(pid, 0, "writer");
	CHECK(read(p[0], &c, 1) == 1, "read");

	close(p[1]);
	r = poll(pf, 1, 0);
	say("poll, writer closed: POLLHUP %s", yesno(r == 1 && pf[0].revents & POLLHUP));
	CHECK(r == 1 && (pf[0].revents & POLLHUP), "POLLHUP");
	close(p[0]);

	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	struct pollfd w = { p[1], POLLOUT, 0 };
	r = poll(&w, 1, 0);
	say("poll, reader closed: POLLERR %s", yesno(r == 1 && w.revents & POLLERR));
	CHECK(r == 1 && (w.revents & POLLERR), "POLLERR");
	close(p[1]);

	return ctest_ok();
}

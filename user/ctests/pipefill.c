/* pipefill: many pipes filled at once. Three processes each fill 400
 * pipes (written without blocking until EAGAIN) and hold them full until
 * all three are done: each pipe holds at least a page (PIPE_BUF, so an
 * atomic write always fits an empty pipe) and gives back every byte in
 * order. Linux gives each 64 KiB (pipe-user-pages-soft does not bind
 * root); ExoV6 gives each 64 KiB until all pipes together hold 16 MiB,
 * then a page more each, so that no set of processes can fill the system
 * server's memory with pipe data. Only what both guarantee is printed. */
#include "ctest.h"

#define PIPES 400

static int fds[PIPES][2];
static size_t held[PIPES];

/* One filler: fills its pipes, says so on `done`, waits for a byte on
 * `go`, drains and checks them; exit 0, or 1 + which check failed. */
static int filler(int done, int go)
{
	static char chunk[4096];
	size_t total = 0;
	for (int i = 0; i < PIPES; i++) {
		if (pipe2(fds[i], O_NONBLOCK) != 0)
			return 10;
		for (;;) {
			memset(chunk, (char)(i + held[i] / sizeof chunk), sizeof chunk);
			ssize_t w = write(fds[i][1], chunk, sizeof chunk);
			if (w < 0) {
				if (errno != EAGAIN)
					return 11;
				break;
			}
			if (w != (ssize_t)sizeof chunk)
				return 12;
			held[i] += (size_t)w;
		}
		total += held[i];
	}
	int ok = 1;
	for (int i = 0; i < PIPES; i++)
		ok &= held[i] >= 4096 && held[i] <= 65536;
	char c = ok ? 'F' : 'f';
	if (write(done, &c, 1) != 1 || read(go, &c, 1) != 1)
		return 13;
	size_t back = 0;
	int in_order = 1;
	for (int i = 0; i < PIPES; i++) {
		size_t got = 0;
		for (;;) {
			ssize_t r = read(fds[i][0], chunk, sizeof chunk);
			if (r < 0) {
				if (errno != EAGAIN)
					return 14;
				break;
			}
			if (r != (ssize_t)sizeof chunk)
				return 15;
			in_order &= chunk[0] == (char)(i + got / sizeof chunk) &&
				    chunk[sizeof chunk - 1] == chunk[0];
			got += (size_t)r;
		}
		back += got;
		if (got != held[i])
			return 16;
		close(fds[i][0]);
		close(fds[i][1]);
	}
	return back == total && in_order ? 0 : 17;
}

int main(void)
{
	ctest_start("pipefill");
	enum { FILLERS = 3 };
	int done[2], go[2];
	CHECK(pipe(done) == 0 && pipe(go) == 0, "pipe");
	pid_t kids[FILLERS];
	for (int k = 0; k < FILLERS; k++) {
		kids[k] = fork();
		CHECK(kids[k] >= 0, "fork");
		if (kids[k] == 0) {
			close(done[0]);
			close(go[1]);
			_exit(filler(done[1], go[0]));
		}
	}
	close(done[1]);
	close(go[0]);
	int full = 0, right = 0;
	for (int k = 0; k < FILLERS; k++) {
		char c = 0;
		CHECK(read(done[0], &c, 1) == 1, "a filler is done");
		full++;
		right += c == 'F';
	}
	say("%d processes filled %d pipes each, all held at once: %s", FILLERS, PIPES,
	    yesno(full == FILLERS));
	say("each pipe held at least a page and at most 64 KiB: %s", yesno(right == FILLERS));
	CHECK(write(go[1], "GGG", FILLERS) == FILLERS, "go");
	int good = 0;
	for (int k = 0; k < FILLERS; k++) {
		int st = wait_for(kids[k]);
		good += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	say("every byte came back, in order: %s", yesno(good == FILLERS));
	CHECK(good == FILLERS, "the fillers");
	return ctest_ok();
}

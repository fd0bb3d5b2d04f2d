/* rawreq MODE: ExoV6 only (not run on the host): requests a process
 * sends the system server directly, bypassing its library OS, must
 * neither bring the server down nor leave anything behind.
 *
 *   fork     many processes each send a raw Fork, which makes an unstarted
 *            child, and die without the ForkStart that should follow (some
 *            send two); the server reclaims those children with their
 *            parent, so forks still work afterwards. (Before that fix about
 *            57 such processes used up the system and every later fork
 *            failed with ENOMEM.)
 *   handles  a process asks for pipes until the server refuses (EMFILE, at
 *            its per-process handle limit), then dies; its handles go, and
 *            pipes and forks still work.
 *
 *   charge   a process writes 8 MiB into a file on /tmp: the server takes
 *            a frame of the process's quota for each page (its info page's
 *            quota_frames, word 6, never grows meanwhile) and gives the
 *            2048 back when the file is removed; a child that wrote a file
 *            and ended paid for it, and its pages stay the file's.
 *
 * A request is a native ExoV6 call (abi::Syscall::Call, 0x4558_0011) on
 * the server's endpoint (sysproto::slots::SERVER, slot 3) with a
 * sysproto::Op (Fork 15, Pipe 9); the message travels in rsi, rdx, r10,
 * r8, r9, r12, the capability slot in r13 (none: all ones). */
#include "ctest.h"
#include <sys/stat.h>

#define EXO_CALL 0x45580011UL
#define SERVER_SLOT 3UL
#define OP_FORK 15UL
#define OP_PIPE 9UL

/* One request to the server; its result word (a pid, or -errno). */
static long server_call(unsigned long op)
{
	register unsigned long r10 __asm__("r10") = 0;
	register unsigned long r8 __asm__("r8") = 0;
	register unsigned long r9 __asm__("r9") = 0;
	register unsigned long r12 __asm__("r12") = 0;
	register unsigned long r13 __asm__("r13") = ~0UL;
	unsigned long rax = EXO_CALL, rdi = SERVER_SLOT, rsi = op, rdx = 0;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10),
			   "+r"(r8), "+r"(r9), "+r"(r12), "+r"(r13)
			 :
			 : "rcx", "r11", "memory");
	return rax == 0 ? (long)rsi : -1;
}

static int raw_forks(void)
{
	const int rounds = 150;
	int made = 0;
	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork after abandoned raw forks");
		if (pid == 0) {
			long r = server_call(OP_FORK);
			if (i % 3 == 0)
				server_call(OP_FORK);
			_exit(r > 0 ? 0 : 1);
		}
		int st = wait_for(pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			made++;
	}
	say("raw forks abandoned: %d of %d", made, rounds);
	CHECK(made == rounds, "every raw Fork made a child");
	return 0;
}

static int raw_handles(void)
{
	for (int round = 0; round < 3; round++) {
		int p[2];
		CHECK(pipe(p) == 0, "pipe");
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			close(p[0]);
			long pipes = 0, r;
			while ((r = server_call(OP_PIPE)) >= 0 && pipes < 100000)
				pipes++;
			/* 8192 handles a process, some already open. */
			char line[64];
			int n = snprintf(line, sizeof line, "%s, after 4000 to 4096: %s",
					 r == -EMFILE ? "EMFILE" : "other",
					 yesno(pipes >= 4000 && pipes <= 4096));
			if (write(p[1], line, (size_t)n) != n)
				_exit(2);
			_exit(0);
		}
		close(p[1]);
		char line[64] = "";
		ssize_t n = read(p[0], line, sizeof line - 1);
		line[n > 0 ? n : 0] = 0;
		close(p[0]);
		expect_exit(pid, 0, "the process holding every handle");
		say("raw pipes until refused: %s", line);
	}
	int q[2];
	CHECK(pipe(q) == 0, "a pipe afterwards");
	CHECK(write(q[1], "x", 1) == 1, "write");
	char c = 0;
	CHECK(read(q[0], &c, 1) == 1 && c == 'x', "read");
	say("pipe afterwards: works");
	return 0;
}

/* The kernel's info page (abi::info): word 6 is quota_frames, word 7
 * used_frames. */
#define INFO_PAGE 0x7fffffffe000UL
static unsigned long info_word(int i)
{
	return ((volatile unsigned long *)INFO_PAGE)[i];
}

static void charge(void)
{
	const size_t len = 8u << 20, block = 1u << 20;
	char *buf = malloc(block);
	CHECK(buf != NULL, "malloc");
	memset(buf, 'x', block);
	unsigned long q0 = info_word(6);
	int fd = open("/tmp/charged", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "create /tmp/charged");
	for (size_t off = 0; off < len; off += block)
		CHECK(write(fd, buf, block) == (ssize_t)block, "write");
	unsigned long q1 = info_word(6);
	/* It paid 2048 frames: from its unused quota, or from frames the
	 * server gave it for the purpose, so its quota never grew. */
	say("writing 8 MiB grew the writer's quota: %s", yesno(q1 > q0));
	CHECK(close(fd) == 0, "close");
	CHECK(unlink("/tmp/charged") == 0, "unlink");
	unsigned long q2 = info_word(6);
	say("removing it gave back 2048 frames: %s", yesno(q2 == q1 + 2048));
	/* A child pays for what it writes; the file outlives it. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		int f = open("/tmp/charged-child", O_RDWR | O_CREAT | O_TRUNC, 0600);
		unsigned long before = info_word(6);
		int ok = f >= 0 && write(f, buf, block) == (ssize_t)block;
		unsigned long after = info_word(6);
		_exit(ok && after <= before ? 0 : 1);
	}
	expect_exit(c, 0, "the child that wrote");
	struct stat st;
	CHECK(stat("/tmp/charged-child", &st) == 0 && st.st_size == (off_t)block, "child's file stays");
	fd = open("/tmp/charged-child", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, block) == (ssize_t)block && buf[block - 1] == 'x', "read child's file");
	close(fd);
	unsigned long q3 = info_word(6);
	CHECK(unlink("/tmp/charged-child") == 0, "unlink child's file");
	say("removing a dead writer's file gives nothing back: %s", yesno(info_word(6) == q3));
	free(buf);
}

int main(int argc, char **argv)
{
	ctest_start("rawreq");
	CHECK(argc == 2, "usage: rawreq fork|handles|charge");
	if (strcmp(argv[1], "fork") == 0)
		raw_forks();
	else if (strcmp(argv[1], "charge") == 0)
		charge();
	else
		raw_handles();
	pid_t pid = fork();
	CHECK(pid >= 0, "fork afterwards");
	if (pid == 0)
		_exit(7);
	expect_exit(pid, 7, "a fork afterwards");
	say("fork afterwards: works");
	return ctest_ok();
}

/* argcheck.c: Linux's argument checks of many calls (ones the library OS
 * once got missing or wrong), called raw (syscall(2)) so no C library
 * wrapper stands in between: the generic ioctls (FIONBIO, FIOASYNC,
 * FIOCLEX, FIONCLEX, FIONREAD) on every kind of descriptor; dup2/dup3;
 * wait4's options and its status and rusage pointers; getrandom's flags
 * and buffer; getrusage's `who`; gettimeofday's pointers; futex
 * (alignment, unmapped and kernel addresses, shared and private, bitsets,
 * counts, unknown operations); select, pselect6,
 * poll and ppoll (timeouts, counts, masks, the time left written back);
 * close_range; fcntl (the descriptor first, F_DUPFD's limit, record
 * locks); kill's signal and pid; sched_{get,set}affinity; readlink's
 * size; clone's flag rules; execve's argument limits;
 * read/write/readv/writev lengths and buffers
 * (and pages made PROT_NONE or read-only after use). Every bad pointer must give EFAULT, never success and never a
 * crash.
 *
 * argv[1]: a regular file to open (this program itself will do). */
#include "ctest.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

/* futex(2) operations (musl has no <linux/futex.h>). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)

/* An address in the kernel half, and one past the user half. */
#define KADDR ((void *)0xffff800000000000UL)
#define NONCANON ((void *)0x0000800000000000UL)

static const char *ename(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINTR: return "EINTR";
	case E2BIG: return "E2BIG";
	case EACCES: return "EACCES";
	default: return "other";
	}
}

/* A raw call's result as a word: the value, or the error's name. */
static const char *res(long r)
{
	static char buf[8][32];
	static int i;
	char *b = buf[i++ % 8];
	if (r < 0)
		snprintf(b, 32, "%s", ename(errno));
	else
		snprintf(b, 32, "%ld", r);
	return b;
}

/* Prints `what: result` and checks the result is `want`. */
static void expect(const char *what, long r, const char *want)
{
	const char *got = res(r);
	say("%s: %s", what, got);
	if (strcmp(got, want) != 0) {
		say("FAIL: %s: got %s, wanted %s", what, got, want);
		exit(1);
	}
}

/* A page that is certainly not mapped. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(munmap(p, 4096) == 0, "munmap");
	return p;
}

static void generic_ioctls(const char *file)
{
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	int fds[5] = { pfd[0], pfd[1], open(file, O_RDONLY), open("/", O_RDONLY | O_DIRECTORY),
		       open("/dev/null", O_RDWR) };
	const char *names[5] = { "pipe-read", "pipe-write", "file", "dir", "null" };
	for (int i = 0; i < 5; i++) {
		int fd = fds[i];
		CHECK(fd >= 0, "open");
		char what[64];
		int on = 1, off = 0;
		snprintf(what, sizeof what, "%s FIONBIO on", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIONBIO, &on), "0");
		say("%s O_NONBLOCK: %s", names[i], yesno(fcntl(fd, F_GETFL) & O_NONBLOCK));
		snprintf(what, sizeof what, "%s FIONBIO off", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIONBIO, &off), "0");
		say("%s O_NONBLOCK: %s", names[i], yesno(fcntl(fd, F_GETFL) & O_NONBLOCK));
		snprintf(what, sizeof what, "%s FIONBIO bad pointer", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIONBIO, (void *)16), "EFAULT");
		/* Signal-driven I/O: pipes take it, the others say ENOTTY
		 * (unless the flag does not change). */
		snprintf(what, sizeof what, "%s FIOASYNC on", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIOASYNC, &on), i < 2 ? "0" : "ENOTTY");
		say("%s O_ASYNC: %s", names[i], yesno(fcntl(fd, F_GETFL) & O_ASYNC));
		snprintf(what, sizeof what, "%s FIOASYNC off", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIOASYNC, &off), "0");
		say("%s O_ASYNC: %s", names[i], yesno(fcntl(fd, F_GETFL) & O_ASYNC));
		snprintf(what, sizeof what, "%s FIOASYNC bad pointer", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIOASYNC, (void *)16), "EFAULT");
		snprintf(what, sizeof what, "%s FIOCLEX", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIOCLEX), "0");
		say("%s FD_CLOEXEC: %s", names[i], yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
		snprintf(what, sizeof what, "%s FIONCLEX", names[i]);
		expect(what, syscall(SYS_ioctl, fd, FIONCLEX), "0");
		say("%s FD_CLOEXEC: %s", names[i], yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
		/* The request is a 32-bit number: the high half is ignored. */
		snprintf(what, sizeof what, "%s FIOCLEX high bits", names[i]);
		expect(what, syscall(SYS_ioctl, fd, 0x100000000UL | FIOCLEX), "0");
		CHECK(fcntl(fd, F_SETFD, 0) == 0, "F_SETFD");
	}
	/* Non-blocking through FIONBIO: an empty pipe's read is EAGAIN. */
	int on = 1;
	CHECK(syscall(SYS_ioctl, pfd[0], FIONBIO, &on) == 0, "FIONBIO");
	char c;
	expect("empty pipe read after FIONBIO", syscall(SYS_read, pfd[0], &c, 1), "EAGAIN");
	CHECK(write(pfd[1], "hello", 5) == 5, "write");
	int n = -1;
	expect("pipe-read FIONREAD", syscall(SYS_ioctl, pfd[0], FIONREAD, &n), "0");
	say("pipe-read FIONREAD bytes: %d", n);
	n = -1;
	expect("pipe-write FIONREAD", syscall(SYS_ioctl, pfd[1], FIONREAD, &n), "0");
	say("pipe-write FIONREAD bytes: %d", n);
	expect("FIONREAD bad pointer", syscall(SYS_ioctl, pfd[0], FIONREAD, (void *)16), "EFAULT");
	/* A regular file: the bytes from the offset to the end. */
	struct stat st;
	CHECK(fstat(fds[2], &st) == 0, "fstat");
	CHECK(lseek(fds[2], 100, SEEK_SET) == 100, "lseek");
	n = -1;
	expect("file FIONREAD", syscall(SYS_ioctl, fds[2], FIONREAD, &n), "0");
	say("file FIONREAD is size - offset: %s", yesno(n == st.st_size - 100));
	/* Requests a descriptor kind does not know. */
	struct termios { char b[60]; } t;
	expect("pipe TCGETS", syscall(SYS_ioctl, pfd[0], TCGETS, &t), "ENOTTY");
	expect("null TCGETS", syscall(SYS_ioctl, fds[4], TCGETS, &t), "ENOTTY");
	expect("file unknown ioctl", syscall(SYS_ioctl, fds[2], 0x7f7f, 0), "ENOTTY");
	expect("bad descriptor FIOCLEX", syscall(SYS_ioctl, 999, FIOCLEX), "EBADF");
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}

static void dups(void)
{
	int fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0, "open");
	expect("dup3 same descriptor", syscall(SYS_dup3, fd, fd, 0), "EINVAL");
	expect("dup3 bad flags", syscall(SYS_dup3, fd, 40, O_NONBLOCK), "EINVAL");
	expect("dup3 bad flags, same descriptor", syscall(SYS_dup3, fd, fd, 1), "EINVAL");
	expect("dup3 closed descriptor", syscall(SYS_dup3, 900, 40, 0), "EBADF");
	expect("dup3 past the limit", syscall(SYS_dup3, fd, 1 << 20, 0), "EBADF");
	expect("dup3 O_CLOEXEC", syscall(SYS_dup3, fd, 40, O_CLOEXEC), "40");
	say("dup3 FD_CLOEXEC: %s", yesno(fcntl(40, F_GETFD) & FD_CLOEXEC));
	say("dup2 same descriptor returns it: %s", yesno(syscall(SYS_dup2, fd, fd) == fd));
	expect("dup2 same closed descriptor", syscall(SYS_dup2, 901, 901), "EBADF");
	expect("dup2 negative target", syscall(SYS_dup2, fd, -1), "EBADF");
	/* Descriptors are unsigned ints: the high half is ignored. */
	expect("close high bits", syscall(SYS_close, 0x100000000UL | 40), "0");
	close(fd);
}

static void waits(void)
{
	int st;
	pid_t pid = xfork();
	if (pid == 0)
		_exit(7);
	expect("wait4 unknown option", syscall(SYS_wait4, pid, &st, 0x100, NULL), "EINVAL");
	expect("wait4 INT_MIN", syscall(SYS_wait4, INT32_MIN, &st, 0, NULL), "ESRCH");
	expect("wait4 __WCLONE only", syscall(SYS_wait4, pid, &st, __WCLONE, NULL), "ECHILD");
	/* A bad status pointer: the child is collected, then EFAULT. */
	expect("wait4 bad status", syscall(SYS_wait4, pid, (void *)16, 0, NULL), "EFAULT");
	expect("wait4 after the bad status", syscall(SYS_wait4, pid, &st, WNOHANG, NULL), "ECHILD");
	pid = xfork();
	if (pid == 0)
		_exit(8);
	expect("wait4 bad rusage", syscall(SYS_wait4, pid, &st, 0, (void *)16), "EFAULT");
	say("status still written: %s", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 8));
	expect("wait4 after the bad rusage", syscall(SYS_wait4, pid, &st, WNOHANG, NULL), "ECHILD");
	pid = xfork();
	if (pid == 0)
		_exit(9);
	struct rusage ru;
	say("wait4 with rusage returns the pid: %s", yesno(syscall(SYS_wait4, pid, &st, __WALL, &ru) == pid));
	say("exit code: %d", WEXITSTATUS(st));
	/* Nothing to wait for: the pointers are not touched. */
	expect("wait4 no children, bad pointers", syscall(SYS_wait4, -1, (void *)16, WNOHANG, (void *)16),
	       "ECHILD");
}

static void randoms(void)
{
	char buf[64];
	expect("getrandom", syscall(SYS_getrandom, buf, 16, 0), "16");
	expect("getrandom unknown flag", syscall(SYS_getrandom, buf, 16, 8), "EINVAL");
	expect("getrandom GRND_RANDOM|GRND_INSECURE", syscall(SYS_getrandom, buf, 16, 6), "EINVAL");
	expect("getrandom GRND_NONBLOCK|GRND_INSECURE", syscall(SYS_getrandom, buf, 16, 5), "16");
	expect("getrandom bad buffer", syscall(SYS_getrandom, (void *)16, 16, 0), "EFAULT");
	expect("getrandom kernel buffer", syscall(SYS_getrandom, KADDR, 16, 0), "EFAULT");
	expect("getrandom empty, bad buffer", syscall(SYS_getrandom, (void *)16, 0, 0), "0");
	/* A buffer running into an unmapped page: the bytes before it. */
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED, "mmap");
	CHECK(munmap(two + 4096, 4096) == 0, "munmap");
	expect("getrandom into an unmapped page", syscall(SYS_getrandom, two + 4096 - 10, 100, 0), "10");
	munmap(two, 4096);
}

static void rusages(void)
{
	struct rusage ru;
	expect("getrusage RUSAGE_SELF", syscall(SYS_getrusage, RUSAGE_SELF, &ru), "0");
	expect("getrusage RUSAGE_CHILDREN", syscall(SYS_getrusage, RUSAGE_CHILDREN, &ru), "0");
	expect("getrusage RUSAGE_THREAD", syscall(SYS_getrusage, 1, &ru), "0");
	expect("getrusage who 2", syscall(SYS_getrusage, 2, &ru), "EINVAL");
	expect("getrusage who -2", syscall(SYS_getrusage, -2, &ru), "EINVAL");
	expect("getrusage bad pointer", syscall(SYS_getrusage, RUSAGE_SELF, (void *)16), "EFAULT");
	expect("getrusage NULL", syscall(SYS_getrusage, RUSAGE_SELF, NULL), "EFAULT");
}

static void timeofday(void)
{
	struct timeval tv;
	struct timezone tz;
	expect("gettimeofday", syscall(SYS_gettimeofday, &tv, &tz), "0");
	expect("gettimeofday NULLs", syscall(SYS_gettimeofday, NULL, NULL), "0");
	expect("gettimeofday bad tv", syscall(SYS_gettimeofday, (void *)16, NULL), "EFAULT");
	expect("gettimeofday bad tz", syscall(SYS_gettimeofday, &tv, (void *)16), "EFAULT");
	expect("gettimeofday kernel tv", syscall(SYS_gettimeofday, KADDR, NULL), "EFAULT");
}

static void futexes(void)
{
	static uint32_t word[4];
	void *hole = unmapped_page();
	struct timespec ts = { 0, 1000000 };
	expect("FUTEX_WAKE", syscall(SYS_futex, &word[0], FUTEX_WAKE, 1, NULL, NULL, 0), "0");
	expect("FUTEX_WAKE unaligned", syscall(SYS_futex, (char *)word + 1, FUTEX_WAKE, 1, NULL, NULL, 0),
	       "EINVAL");
	expect("FUTEX_WAKE unmapped", syscall(SYS_futex, hole, FUTEX_WAKE, 1, NULL, NULL, 0), "EFAULT");
	expect("FUTEX_WAKE NULL", syscall(SYS_futex, NULL, FUTEX_WAKE, 1, NULL, NULL, 0), "EFAULT");
	expect("FUTEX_WAKE_PRIVATE unmapped",
	       syscall(SYS_futex, hole, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), "0");
	expect("FUTEX_WAKE_PRIVATE kernel address",
	       syscall(SYS_futex, KADDR, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), "EFAULT");
	expect("FUTEX_WAKE_PRIVATE non-canonical address",
	       syscall(SYS_futex, NONCANON, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), "EFAULT");
	expect("FUTEX_WAKE_BITSET zero bitset",
	       syscall(SYS_futex, &word[0], FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), "EINVAL");
	expect("FUTEX_WAKE with FUTEX_CLOCK_REALTIME",
	       syscall(SYS_futex, &word[0], FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), "ENOSYS");
	expect("futex unknown operation", syscall(SYS_futex, &word[0], 99, 1, NULL, NULL, 0), "ENOSYS");
	expect("FUTEX_WAIT unmapped", syscall(SYS_futex, hole, FUTEX_WAIT, 0, &ts, NULL, 0), "EFAULT");
	expect("FUTEX_WAIT_PRIVATE unmapped",
	       syscall(SYS_futex, hole, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), "EFAULT");
	expect("FUTEX_WAIT bad timeout", syscall(SYS_futex, &word[0], FUTEX_WAIT, 0, (void *)16, NULL, 0),
	       "EFAULT");
	/* The timeout is read before the address is looked at. */
	expect("FUTEX_WAIT unaligned, bad timeout",
	       syscall(SYS_futex, (char *)word + 1, FUTEX_WAIT, 0, (void *)16, NULL, 0), "EFAULT");
	struct timespec bad = { 0, 2000000000L };
	expect("FUTEX_WAIT bad tv_nsec", syscall(SYS_futex, &word[0], FUTEX_WAIT, 0, &bad, NULL, 0),
	       "EINVAL");
	expect("FUTEX_WAIT changed value", syscall(SYS_futex, &word[0], FUTEX_WAIT, 5, &ts, NULL, 0),
	       "EAGAIN");
	expect("FUTEX_WAIT_PRIVATE times out",
	       syscall(SYS_futex, &word[0], FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), "ETIMEDOUT");
	expect("FUTEX_WAIT_BITSET zero bitset",
	       syscall(SYS_futex, &word[0], FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), "EINVAL");
	/* FUTEX_CMP_REQUEUE: counts (the second in the timeout argument),
	 * the second address, the compared value. */
	expect("FUTEX_CMP_REQUEUE",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, &word[1], 0), "0");
	expect("FUTEX_CMP_REQUEUE stale value",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, &word[1], 3), "EAGAIN");
	expect("FUTEX_CMP_REQUEUE negative wake count",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, -1, (void *)1, &word[1], 0), "EINVAL");
	expect("FUTEX_CMP_REQUEUE negative requeue count",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, (void *)0xffffffffUL, &word[1], 0),
	       "EINVAL");
	expect("FUTEX_CMP_REQUEUE unaligned second address",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, (char *)word + 5, 0), "EINVAL");
	expect("FUTEX_CMP_REQUEUE unmapped second address",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, hole, 0), "EFAULT");
	expect("FUTEX_CMP_REQUEUE_PRIVATE unmapped second address",
	       syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, hole, 0), "0");
	expect("FUTEX_CMP_REQUEUE_PRIVATE unmapped first address",
	       syscall(SYS_futex, hole, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &word[1], 0), "EFAULT");
	expect("FUTEX_REQUEUE_PRIVATE unmapped first address",
	       syscall(SYS_futex, hole, FUTEX_REQUEUE_PRIVATE, 1, (void *)1, &word[1], 0), "0");
}

static void selects(void)
{
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	fd_set r;
	FD_ZERO(&r);
	FD_SET(pfd[0], &r);
	expect("select bad timeout", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, (void *)16), "EFAULT");
	struct timeval tv = { 0, -1 };
	expect("select negative tv_usec", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, &tv), "EINVAL");
	tv = (struct timeval){ -1, 0 };
	expect("select negative tv_sec", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, &tv), "EINVAL");
	/* A whole second in tv_usec carries over. */
	tv = (struct timeval){ 0, 1000000 };
	CHECK(write(pfd[1], "x", 1) == 1, "write");
	expect("select tv_usec of one second", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, &tv), "1");
	char c;
	CHECK(read(pfd[0], &c, 1) == 1, "read");
	expect("select negative count", syscall(SYS_select, -1, &r, NULL, NULL, NULL), "EINVAL");
	expect("select bad set", syscall(SYS_select, pfd[0] + 1, (void *)16, NULL, NULL, NULL), "EFAULT");
	FD_ZERO(&r);
	FD_SET(pfd[0], &r);
	tv = (struct timeval){ 0, 20000 };
	expect("select times out", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, &tv), "0");
	say("select time left is zero: %s", yesno(tv.tv_sec == 0 && tv.tv_usec == 0));
	FD_ZERO(&r);
	FD_SET(pfd[0], &r);
	tv = (struct timeval){ 5, 0 };
	CHECK(write(pfd[1], "x", 1) == 1, "write");
	expect("select ready", syscall(SYS_select, pfd[0] + 1, &r, NULL, NULL, &tv), "1");
	say("select time left below 5 s: %s", yesno(tv.tv_sec < 5 || (tv.tv_sec == 5 && tv.tv_usec == 0)));
	say("select time left above 4 s: %s", yesno(tv.tv_sec >= 4));
	CHECK(read(pfd[0], &c, 1) == 1, "read");
	/* A count past the descriptor table is cut to its size. */
	FD_ZERO(&r);
	FD_SET(pfd[1], &r);
	tv = (struct timeval){ 0, 0 };
	expect("select huge count", syscall(SYS_select, 100000, NULL, &r, NULL, &tv), "1");
	FD_ZERO(&r);
	FD_SET(60, &r);
	expect("select closed descriptor", syscall(SYS_select, 61, &r, NULL, NULL, &tv), "EBADF");
	/* pselect6: a timespec, and the signal mask's size must be 8. */
	struct timespec ts = { 0, 1000000000L };
	FD_ZERO(&r);
	FD_SET(pfd[0], &r);
	expect("pselect6 bad tv_nsec", syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, &ts, NULL), "EINVAL");
	expect("pselect6 bad timeout", syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, (void *)16, NULL),
	       "EFAULT");
	sigset_t mask;
	sigemptyset(&mask);
	struct {
		void *set;
		size_t size;
	} sm = { &mask, 4 };
	ts = (struct timespec){ 0, 0 };
	expect("pselect6 mask size 4", syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, &ts, &sm), "EINVAL");
	sm.size = 8;
	sm.set = (void *)16;
	expect("pselect6 bad mask", syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, &ts, &sm), "EFAULT");
	expect("pselect6 bad mask argument",
	       syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, &ts, (void *)16), "EFAULT");
	sm.set = &mask;
	expect("pselect6 with a mask", syscall(SYS_pselect6, pfd[0] + 1, &r, NULL, NULL, &ts, &sm), "0");
	/* poll and ppoll. */
	struct pollfd pf = { pfd[0], POLLIN, 0 };
	expect("poll bad array", syscall(SYS_poll, (void *)16, 1, 0), "EFAULT");
	expect("poll empty, bad array", syscall(SYS_poll, (void *)16, 0, 0), "0");
	expect("poll nothing ready", syscall(SYS_poll, &pf, 1, 10), "0");
	struct pollfd nv = { 70, POLLIN, 0 };
	expect("poll closed descriptor", syscall(SYS_poll, &nv, 1, 0), "1");
	say("poll closed descriptor POLLNVAL: %s", yesno(nv.revents == POLLNVAL));
	expect("ppoll bad timeout", syscall(SYS_ppoll, &pf, 1, (void *)16, NULL, 8), "EFAULT");
	ts = (struct timespec){ 0, 0 };
	expect("ppoll mask size 4", syscall(SYS_ppoll, &pf, 1, &ts, &mask, 4), "EINVAL");
	expect("ppoll bad mask", syscall(SYS_ppoll, &pf, 1, &ts, (void *)16, 8), "EFAULT");
	ts = (struct timespec){ 0, 20000000 };
	expect("ppoll times out", syscall(SYS_ppoll, &pf, 1, &ts, &mask, 8), "0");
	say("ppoll time left is zero: %s", yesno(ts.tv_sec == 0 && ts.tv_nsec == 0));
	/* A read-only array cannot take the results: EFAULT. */
	struct pollfd *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap");
	ro[0] = pf;
	CHECK(mprotect(ro, 4096, PROT_READ) == 0, "mprotect");
	expect("poll read-only array", syscall(SYS_poll, ro, 1, 0), "EFAULT");
	munmap(ro, 4096);
	close(pfd[0]);
	close(pfd[1]);
}

static volatile sig_atomic_t usr1;

static void got_usr1(int sig)
{
	(void)sig;
	usr1++;
}

/* ppoll and pselect6 wait with the mask they are given: SIGUSR1, blocked
 * otherwise, interrupts them (EINTR after its handler), and the caller's
 * mask is back afterwards. */
static void wait_masks(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = got_usr1;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0, "sigprocmask");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	for (int round = 0; round < 2; round++) {
		usr1 = 0;
		pid_t parent = getpid();
		pid_t pid = xfork();
		if (pid == 0) {
			sleep_ms(50);
			kill(parent, SIGUSR1);
			_exit(0);
		}
		struct timespec ts = { 10, 0 };
		long r;
		if (round == 0) {
			struct pollfd pf = { pfd[0], POLLIN, 0 };
			r = syscall(SYS_ppoll, &pf, 1, &ts, &empty, 8);
		} else {
			fd_set rs;
			FD_ZERO(&rs);
			FD_SET(pfd[0], &rs);
			struct {
				void *set;
				size_t size;
			} sm = { &empty, 8 };
			r = syscall(SYS_pselect6, pfd[0] + 1, &rs, NULL, NULL, &ts, &sm);
		}
		const char *name = round == 0 ? "ppoll" : "pselect6";
		char what[64];
		snprintf(what, sizeof what, "%s with SIGUSR1 unblocked, signalled", name);
		expect(what, r, "EINTR");
		say("%s: the handler ran once: %s", name, yesno(usr1 == 1));
		CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0, "sigprocmask");
		say("%s: SIGUSR1 blocked again: %s", name, yesno(sigismember(&cur, SIGUSR1)));
		expect_exit(pid, 0, "the signalling child");
	}
	CHECK(sigprocmask(SIG_UNBLOCK, &block, NULL) == 0, "sigprocmask");
	close(pfd[0]);
	close(pfd[1]);
}

static void fcntls(const char *file)
{
	int fd = open(file, O_RDONLY);
	CHECK(fd >= 0, "open");
	expect("fcntl closed descriptor, unknown command", syscall(SYS_fcntl, 950, 9999, 0), "EBADF");
	expect("fcntl unknown command", syscall(SYS_fcntl, fd, 9999, 0), "EINVAL");
	expect("F_DUPFD past the limit", syscall(SYS_fcntl, fd, F_DUPFD, 1 << 20), "EINVAL");
	expect("F_DUPFD -1", syscall(SYS_fcntl, fd, F_DUPFD, -1), "EINVAL");
	expect("F_DUPFD_CLOEXEC 50", syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 50), "50");
	say("F_DUPFD_CLOEXEC FD_CLOEXEC: %s", yesno(fcntl(50, F_GETFD) & FD_CLOEXEC));
	close(50);
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	expect("F_GETLK", syscall(SYS_fcntl, fd, F_GETLK, &fl), "0");
	say("F_GETLK l_type F_UNLCK: %s", yesno(fl.l_type == F_UNLCK));
	fl.l_type = F_RDLCK;
	expect("F_SETLK read lock", syscall(SYS_fcntl, fd, F_SETLK, &fl), "0");
	fl.l_type = F_UNLCK;
	expect("F_SETLK unlock", syscall(SYS_fcntl, fd, F_SETLK, &fl), "0");
	fl.l_type = F_WRLCK;
	expect("F_SETLK write lock, read-only descriptor", syscall(SYS_fcntl, fd, F_SETLK, &fl), "EBADF");
	fl.l_type = 7;
	expect("F_SETLK bad type", syscall(SYS_fcntl, fd, F_SETLK, &fl), "EINVAL");
	fl.l_type = F_UNLCK;
	expect("F_GETLK F_UNLCK", syscall(SYS_fcntl, fd, F_GETLK, &fl), "EINVAL");
	fl.l_type = F_RDLCK;
	fl.l_whence = 9;
	expect("F_SETLK bad whence", syscall(SYS_fcntl, fd, F_SETLK, &fl), "EINVAL");
	expect("F_SETLK bad pointer", syscall(SYS_fcntl, fd, F_SETLK, (void *)16), "EFAULT");
	expect("F_GETLK bad pointer", syscall(SYS_fcntl, fd, F_GETLK, (void *)16), "EFAULT");
	/* close_range. */
	CHECK(dup2(fd, 60) == 60 && dup2(fd, 61) == 61, "dup2");
	expect("close_range bad flags", syscall(SYS_close_range, 60, 61, 1), "EINVAL");
	expect("close_range reversed", syscall(SYS_close_range, 61, 60, 0), "EINVAL");
	expect("close_range CLOSE_RANGE_CLOEXEC", syscall(SYS_close_range, 60, 61, 4), "0");
	say("close_range marked close-on-exec: %s",
	    yesno((fcntl(60, F_GETFD) & FD_CLOEXEC) && (fcntl(61, F_GETFD) & FD_CLOEXEC)));
	expect("close_range", syscall(SYS_close_range, 60, ~0U, 0), "0");
	say("close_range closed: %s", yesno(fcntl(60, F_GETFD) < 0 && fcntl(61, F_GETFD) < 0));
	close(fd);
}

static void kills(void)
{
	expect("kill signal -1", syscall(SYS_kill, getpid(), -1), "EINVAL");
	expect("kill signal 65", syscall(SYS_kill, getpid(), 65), "EINVAL");
	expect("kill INT_MIN", syscall(SYS_kill, INT32_MIN, 0), "ESRCH");
	expect("kill self, signal 0", syscall(SYS_kill, getpid(), 0), "0");
}

/* sched_getaffinity/sched_setaffinity lengths and masks, readlink's size,
 * clone's flag rules. */
/* A handler with SA_RESTART restarts a blocking read, but never poll,
 * select or nanosleep: those fail with EINTR (signal(7)). */
static void restarts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = got_usr1;
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	const char *names[] = { "read", "poll", "select", "nanosleep" };
	for (int round = 0; round < 4; round++) {
		usr1 = 0;
		pid_t parent = getpid();
		pid_t pid = xfork();
		if (pid == 0) {
			sleep_ms(50);
			kill(parent, SIGUSR1);
			if (round == 0) {
				sleep_ms(50);
				CHECK(write(pfd[1], "x", 1) == 1, "write");
			}
			_exit(0);
		}
		long r;
		char c;
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		fd_set rs;
		struct timeval tv = { 5, 0 };
		struct timespec ts = { 5, 0 };
		switch (round) {
		case 0: r = syscall(SYS_read, pfd[0], &c, 1); break;
		case 1: r = syscall(SYS_poll, &pf, 1, 5000); break;
		case 2:
			FD_ZERO(&rs);
			FD_SET(pfd[0], &rs);
			r = syscall(SYS_select, pfd[0] + 1, &rs, NULL, NULL, &tv);
			break;
		default: r = syscall(SYS_nanosleep, &ts, &ts); break;
		}
		char what[64];
		snprintf(what, sizeof what, "%s interrupted by a SA_RESTART handler", names[round]);
		expect(what, r, round == 0 ? "1" : "EINTR");
		say("%s: the handler ran once: %s", names[round], yesno(usr1 == 1));
		expect_exit(pid, 0, "the signalling child");
	}
	close(pfd[0]);
	close(pfd[1]);
	signal(SIGUSR1, SIG_DFL);
}

static void odds(void)
{
	uint64_t mask[2] = { 0, 0 };
	expect("sched_getaffinity length 4", syscall(SYS_sched_getaffinity, 0, 4, mask), "EINVAL");
	expect("sched_getaffinity length 12", syscall(SYS_sched_getaffinity, 0, 12, mask), "EINVAL");
	expect("sched_getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, 16, (void *)16), "EFAULT");
	long r = syscall(SYS_sched_getaffinity, 0, 16, mask);
	say("sched_getaffinity gives whole longs: %s", yesno(r > 0 && r % 8 == 0));
	expect("sched_setaffinity the same mask", syscall(SYS_sched_setaffinity, 0, 16, mask), "0");
	uint64_t none[2] = { 0, 0 };
	expect("sched_setaffinity no CPU", syscall(SYS_sched_setaffinity, 0, 16, none), "EINVAL");
	expect("sched_setaffinity bad pointer", syscall(SYS_sched_setaffinity, 0, 8, (void *)16), "EFAULT");
	char b[8];
	expect("readlink size 0, bad path", syscall(SYS_readlink, (void *)16, b, 0), "EINVAL");
	expect("readlink negative size", syscall(SYS_readlink, "/proc/self/exe", b, -1), "EINVAL");
	expect("readlink bad path", syscall(SYS_readlink, (void *)16, b, 8), "EFAULT");
	expect("clone CLONE_THREAD without CLONE_SIGHAND",
	       syscall(SYS_clone, 0x100 | 0x10000, 0, 0, 0, 0), "EINVAL");
	expect("clone CLONE_SIGHAND without CLONE_VM", syscall(SYS_clone, 0x800, 0, 0, 0, 0), "EINVAL");
	expect("clone CLONE_NEWNS with CLONE_FS", syscall(SYS_clone, 0x20000 | 0x200, 0, 0, 0, 0), "EINVAL");
	uint64_t set = 0, old = 0;
	expect("rt_sigprocmask sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 4), "EINVAL");
	expect("rt_sigprocmask sigsetsize 16", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 16), "EINVAL");
	expect("rt_sigaction sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR2, NULL, mask, 4), "EINVAL");
	expect("rt_sigpending sigsetsize 16", syscall(SYS_rt_sigpending, &set, 16), "EINVAL");
	expect("rt_sigpending sigsetsize 4", syscall(SYS_rt_sigpending, &set, 4), "0");
	expect("rt_sigsuspend sigsetsize 4", syscall(SYS_rt_sigsuspend, &set, 4), "EINVAL");
	void *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pg != MAP_FAILED, "mmap");
	expect("madvise unknown advice 7", syscall(SYS_madvise, pg, 4096, 7), "EINVAL");
	expect("madvise unknown advice 999", syscall(SYS_madvise, pg, 4096, 999), "EINVAL");
	expect("madvise MADV_WILLNEED", syscall(SYS_madvise, pg, 4096, 3), "0");
	munmap(pg, 4096);
}

/* execve's argument limits: a program that cannot run is reported first
 * (EACCES), then E2BIG for too many argument bytes or one argument past
 * MAX_ARG_STRLEN; a bad array is EFAULT. `file` is this program. */
static void execs(const char *file)
{
	static char big[100 * 1024];
	static char huge[140 * 1024];
	static char *many[4001];
	memset(big, 'a', sizeof big - 1);
	memset(huge, 'b', sizeof huge - 1);
	for (int i = 0; i < 4000; i++)
		many[i] = big;
	char *one[] = { huge, NULL };
	expect("execve 400 MB of arguments", syscall(SYS_execve, file, many, NULL), "E2BIG");
	expect("execve 400 MB of environment", syscall(SYS_execve, file, one + 1, many), "E2BIG");
	expect("execve one 140 KiB argument", syscall(SYS_execve, file, one, NULL), "E2BIG");
	expect("execve a directory, huge arguments", syscall(SYS_execve, "/", many, NULL), "EACCES");
	expect("execve bad argv", syscall(SYS_execve, file, (void *)16, NULL), "EFAULT");
	char *bad[] = { (char *)16, NULL };
	expect("execve bad argument", syscall(SYS_execve, file, bad, NULL), "EFAULT");
}

static void reads_writes(void)
{
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	char buf[16] = "0123456789";
	expect("write huge length", syscall(SYS_write, pfd[1], buf, 1UL << 62), "EFAULT");
	expect("write negative length", syscall(SYS_write, pfd[1], buf, -1L), "EFAULT");
	expect("write bad buffer", syscall(SYS_write, pfd[1], (void *)16, 4), "EFAULT");
	expect("write kernel buffer", syscall(SYS_write, pfd[1], KADDR, 4), "EFAULT");
	expect("write empty, bad buffer", syscall(SYS_write, pfd[1], (void *)16, 0), "0");
	expect("write to the read end", syscall(SYS_write, pfd[0], buf, 4), "EBADF");
	expect("write to the read end, bad buffer", syscall(SYS_write, pfd[0], (void *)16, 4), "EBADF");
	CHECK(write(pfd[1], buf, 4) == 4, "write");
	expect("read huge length", syscall(SYS_read, pfd[0], buf, 1UL << 62), "EFAULT");
	expect("read bad buffer", syscall(SYS_read, pfd[0], (void *)16, 4), "EFAULT");
	expect("read from the write end", syscall(SYS_read, pfd[1], buf, 4), "EBADF");
	expect("read data kept", syscall(SYS_read, pfd[0], buf, 4), "4");
	/* Descriptors are unsigned ints: the high half is ignored. */
	expect("write descriptor high bits", syscall(SYS_write, 0x100000000UL | pfd[1], buf, 2), "2");
	expect("read descriptor high bits", syscall(SYS_read, 0x100000000UL | pfd[0], buf, 2), "2");
	struct iovec iov[2] = { { buf, 2 }, { buf, -1L } };
	expect("writev negative length", syscall(SYS_writev, pfd[1], iov, 2), "EINVAL");
	iov[1] = (struct iovec){ (void *)16, 2 };
	expect("writev bad buffer", syscall(SYS_writev, pfd[1], iov, 2), "EFAULT");
	expect("writev bad array", syscall(SYS_writev, pfd[1], (void *)16, 2), "EFAULT");
	expect("writev too many", syscall(SYS_writev, pfd[1], iov, 1025), "EINVAL");
	expect("writev closed descriptor, bad array", syscall(SYS_writev, 990, (void *)16, 2), "EBADF");
	iov[1] = (struct iovec){ buf + 2, 3 };
	expect("writev", syscall(SYS_writev, pfd[1], iov, 2), "5");
	/* One huge buffer is cut to MAX_RW_COUNT before it is checked; with
	 * more than one, each is checked whole. */
	/* (The buffer lies low, in .bss, so the 2 GiB the length is cut to
	 * stay below the top of the address space whatever ASLR did.) */
	static char low[16];
	iov[0] = (struct iovec){ low, 1UL << 62 };
	iov[1] = (struct iovec){ low, 1 };
	expect("readv huge length, two buffers", syscall(SYS_readv, pfd[0], iov, 2), "EFAULT");
	expect("readv huge length, one buffer", syscall(SYS_readv, pfd[0], iov, 1), "5");
	expect("pread64 negative offset", syscall(SYS_pread64, pfd[0], buf, 1, -1L), "EINVAL");
	/* A page made PROT_NONE (or read-only) after it was used. */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	strcpy(m, "hello");
	CHECK(mprotect(m, 4096, PROT_NONE) == 0, "mprotect PROT_NONE");
	expect("write from a PROT_NONE page", syscall(SYS_write, pfd[1], m, 5), "EFAULT");
	CHECK(write(pfd[1], "abc", 3) == 3, "write");
	expect("read into a PROT_NONE page", syscall(SYS_read, pfd[0], m, 3), "EFAULT");
	CHECK(mprotect(m, 4096, PROT_READ) == 0, "mprotect PROT_READ");
	expect("read into a read-only page", syscall(SYS_read, pfd[0], m, 3), "EFAULT");
	expect("the bytes are still there", syscall(SYS_read, pfd[0], buf, 3), "3");
	say("they are abc: %s", yesno(memcmp(buf, "abc", 3) == 0));
	CHECK(mprotect(m, 4096, PROT_NONE) == 0, "mprotect PROT_NONE");
	struct timespec *ts = (struct timespec *)m;
	expect("clock_gettime into a PROT_NONE page", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts),
	       "EFAULT");
	expect("nanosleep from a PROT_NONE page", syscall(SYS_nanosleep, ts, NULL), "EFAULT");
	munmap(m, 4096);
	close(pfd[0]);
	close(pfd[1]);
}

int main(int argc, char **argv)
{
	ctest_start("argcheck");
	CHECK(argc == 2, "usage: argcheck FILE");
	generic_ioctls(argv[1]);
	dups();
	waits();
	randoms();
	rusages();
	timeofday();
	futexes();
	selects();
	wait_masks();
	restarts();
	fcntls(argv[1]);
	kills();
	odds();
	execs(argv[1]);
	reads_writes();
	return ctest_ok();
}

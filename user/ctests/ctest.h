/* ctest.h: the helpers every C test program of user/ctests shares.
 *
 * A test prints deterministic lines (booleans and counts, never pids,
 * addresses or timings) to stdout, checks every result itself, prints
 * "FAIL: <what>" and exits 1 on the first failure, and ends with
 * "<name>: ok". The same static binaries run on the host Linux and inside
 * ExoV6, and `cargo xtask test` compares the two outputs
 * (xtask/src/test/ctests.rs, docs/testing.md).
 *
 * stdout is unbuffered (ctest_start), so nothing is duplicated by fork and
 * lines from parent and children come out in the order they are written;
 * parents wait for their children before printing what follows. */
#ifndef CTEST_H
#define CTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ctest_name = "ctest";

/* Call first: names the test and makes stdout unbuffered. */
static inline void ctest_start(const char *name)
{
	ctest_name = name;
	setvbuf(stdout, NULL, _IONBF, 0);
}

/* One whole line with a single write(2), so lines from different
 * processes never interleave inside a line. */
static inline void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(1, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (int)w;
	}
}

static inline const char *yesno(int b)
{
	return b ? "yes" : "no";
}

/* The source file's name without its directory. */
#ifdef __FILE_NAME__
#define CTEST_FILE __FILE_NAME__
#else
#define CTEST_FILE __FILE__
#endif

/* FAIL: what was checked, the location and errno; exit status 1. */
#define CHECK(cond, what)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			int e_ = errno;                                      \
			say("FAIL: %s (%s:%d, errno %d %s)", what, CTEST_FILE, \
			    __LINE__, e_, strerror(e_));                     \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* The closing line; returns main's 0. */
static inline int ctest_ok(void)
{
	say("%s: ok", ctest_name);
	return 0;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* waitpid(2), retried while a signal handler interrupts it. */
static inline pid_t waitpid_eintr(pid_t pid, int *status, int flags)
{
	pid_t r;
	do
		r = waitpid(pid, status, flags);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Waits for `pid` (retrying on EINTR) and returns its status word. */
static inline int wait_for(pid_t pid)
{
	int status = 0;
	pid_t r = waitpid_eintr(pid, &status, 0);
	CHECK(r == pid, "waitpid returns the child");
	return status;
}

/* Waits for `pid` and checks that it exited with `code`. */
static inline void expect_exit(pid_t pid, int code, const char *what)
{
	int st = wait_for(pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != code) {
		say("FAIL: %s: status %#x, wanted exit %d", what, st, code);
		exit(1);
	}
}

/* Writes all of buf (retrying short writes and EINTR). */
static inline int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads exactly len bytes unless EOF comes first; returns the count. */
static inline ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* fork() with stdout flushed first (it is unbuffered; this is belt and
 * braces for any stdio use). */
static inline pid_t xfork(void)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	return pid;
}

/* A crowd of threads that each wait until released: made with
 * ctest_crowd_fill until pthread_create fails, then released and joined
 * with ctest_crowd_release, which checks that every one ran. */
struct ctest_crowd {
	pthread_mutex_t lock;
	pthread_cond_t go;
	int released, ran;
};

static inline struct ctest_crowd *ctest_crowd(void)
{
	static struct ctest_crowd c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	return &c;
}

static inline void *ctest_crowd_member(void *arg)
{
	struct ctest_crowd *c = ctest_crowd();
	(void)arg;
	pthread_mutex_lock(&c->lock);
	while (!c->released)
		pthread_cond_wait(&c->go, &c->lock);
	c->ran++;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Makes members with `stack`-byte stacks into t[0..max) until
 * pthread_create fails; returns how many, its error in *err (0 if max
 * was reached). */
static inline int ctest_crowd_fill(pthread_t *t, int max, size_t stack, int *err)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, stack);
	int n = 0;
	*err = 0;
	while (n < max && (*err = pthread_create(&t[n], &a, ctest_crowd_member, NULL)) == 0)
		n++;
	pthread_attr_destroy(&a);
	return n;
}

static inline void ctest_crowd_release(pthread_t *t, int n)
{
	struct ctest_crowd *c = ctest_crowd();
	pthread_mutex_lock(&c->lock);
	c->released = 1;
	pthread_cond_broadcast(&c->go);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(c->ran == n, "every thread ran");
}

/* The fs-* tests' helpers: errno names, and a call that must fail. */
static inline const char *ctest_errname(int e)
{
	switch (e) {
#define E_(x) case x: return #x;
	E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG)
	E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES) E_(EFAULT)
	E_(EBUSY) E_(EEXIST) E_(EXDEV) E_(ENODEV) E_(ENOTDIR) E_(EISDIR)
	E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY) E_(ETXTBSY) E_(EFBIG)
	E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK) E_(EPIPE) E_(ERANGE)
	E_(ENAMETOOLONG) E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP) E_(ENOMSG)
	E_(EIDRM) E_(EOPNOTSUPP) E_(EOVERFLOW) E_(ENOTCONN)
#undef E_
	}
	return "other";
}

/* `call` (an int or long result, or a pointer that is (void *)-1 on
 * failure, like mmap's) must fail with errno `want`:
 * prints "what: NAME" with the errno it got, FAIL if not `want`. */
#define FAILS_WITH(call, want, what)                                         \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(call);                                      \
		int e_ = errno;                                              \
		say("%s: %s", what, r_ == -1 ? ctest_errname(e_) : "succeeded"); \
		if (r_ != -1 || e_ != (want)) {                              \
			say("FAIL: %s (%s:%d): result %ld errno %d, wanted %s", \
			    what, CTEST_FILE, __LINE__, r_, e_,              \
			    ctest_errname(want));                            \
			exit(1);                                             \
		}                                                            \
	} while (0)

#endif

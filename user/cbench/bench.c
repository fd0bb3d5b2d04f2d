/*
 * cbench: the one C benchmark program of ExoV6. The same static
 * binary (`musl-gcc -static -O2`) runs as /init of a Linux guest, natively
 * on the host Linux, and on ExoV6 under its library OS, so the figures of
 * the three can be set side by side. `cargo xtask bench` builds it, boots
 * it and reads its lines; docs/benchmarks.md describes the method.
 *
 * Usage: bench [--quick] [--filter NAME] [--tiny PATH] [--batches N]
 *              [--warmup N]
 *
 * Timing is batched: the TSC (`lfence; rdtsc`) and CLOCK_MONOTONIC are
 * read only around a batch of many operations, never around one. Each
 * benchmark runs its warm-up batches untimed, then at least 15 timed
 * batches (`--quick`: 5 smaller ones, for smoke tests); for every batch
 * the TSC ticks less the cost of two back-to-back TSC reads are divided
 * by the operations in it, and the median and minimum over the batches
 * are printed, with the same from the monotonic clock in nanoseconds.
 *
 * Every operation checks its own result (the byte the pipe carried, the
 * exit status of the child, the number of times a handler ran, ...). A
 * failed check prints `bench NAME: FAIL why` instead of a figure.
 *
 * Output, one line each:
 *
 *   bench config batches=N warmup=N ops=per-benchmark quick=0|1
 *   bench-uname sysname=Linux release=6.1.0 machine=x86_64
 *   bench-overhead rdtsc-pair median=N min=N unit=tsc-cycles per=batch
 *   bench NAME median=X min=X iters=N batches=N unit=tsc-cycles ns-median=X ns-min=X
 *   bench NAME: FAIL why
 *   bench-tsc TSC X MHz (rdtsc against CLOCK_MONOTONIC over all batches)
 *   bench done failed=N
 *
 * As PID 1 (Linux's /init) it opens the console itself if it has none,
 * runs the benchmarks in a child (an ordinary process), and powers the
 * machine off at the end, after the output has drained.
 *
 * On ExoV6 it also measures `libos-getpid`: getpid called as a function
 * of the library OS (the native counterpart of the getpid system call).
 *
 * Threads and processes wait only in blocking system calls (read, futex,
 * waitpid, sched_yield), never in a spin loop: ExoV6's library OS
 * schedules threads cooperatively.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L
#define MMAP_BYTES (1L << 20)
#define MAX_BATCHES 1000

/* From <linux/futex.h>, which musl-gcc does not see (no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

/* ---- output ------------------------------------------------------------ */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line straight to fd 1 with write(2): no stdio buffer to lose at
 * power-off, and no lock shared with the threads. */
static void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (int)w;
    }
}

/* Why the running benchmark failed (set by fail()). */
static char why[256];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- clocks ------------------------------------------------------------ */

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- configuration ----------------------------------------------------- */

static struct {
    int batches;
    int warmup;
    int quick;
    const char *filter;
    const char *tiny;
} cfg = {25, 3, 0, NULL, NULL};

static pid_t mypid;

static void __attribute__((noreturn)) power_off(void);

/* ---- getpid ------------------------------------------------------------ */

static int run_getpid(long n)
{
    for (long i = 0; i < n; i++) {
        long r = syscall(SYS_getpid);
        if (r != mypid)
            return fail("getpid returned %ld, expected %d", r, (int)mypid);
    }
    return 0;
}

/* ---- getpid through the linked library OS (ExoV6 only) -------------------
 * ExoV6's library OS publishes its own getpid in the mailbox page every
 * process shares with the system server (sysproto::control::LINKED_GETPID,
 * word 100 of the page at 0x7e8000000000): a program that knows it runs
 * there calls it as a function, with no system call at all. */

#define EXOV6_MAILBOX 0x7e8000000000ull
#define EXOV6_LINKED_GETPID 100
static long (*linked_getpid)(void);

static int on_exov6(void)
{
    struct utsname u;
    return uname(&u) == 0 && strstr(u.release, "exov6") != NULL;
}

static int setup_linked(void)
{
    linked_getpid = (long (*)(void))((volatile uint64_t *)EXOV6_MAILBOX)[EXOV6_LINKED_GETPID];
    if (!linked_getpid)
        return fail("the library OS published no getpid");
    return 0;
}

static int run_linked(long n)
{
    for (long i = 0; i < n; i++) {
        long r = linked_getpid();
        if (r != mypid)
            return fail("linked getpid returned %ld, expected %d", r, (int)mypid);
    }
    return 0;
}

/* ---- clock_gettime ----------------------------------------------------- */

static int run_clock(long n)
{
    struct timespec prev = {0, 0}, ts;
    for (long i = 0; i < n; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
            return fail("clock_gettime: %s", strerror(errno));
        if (ts.tv_sec < prev.tv_sec ||
            (ts.tv_sec == prev.tv_sec && ts.tv_nsec < prev.tv_nsec))
            return fail("CLOCK_MONOTONIC went backwards");
        prev = ts;
    }
    return 0;
}

/* ---- pipe round trip between two processes ------------------------------ */

static struct {
    int to_child, from_child;
    pid_t child;
    unsigned seq;
} pp;

static int setup_pipe(void)
{
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        return fail("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Echo every byte back, changed, until EOF. */
        close(down[1]);
        close(up[0]);
        unsigned char c;
        for (;;) {
            ssize_t r = read(down[0], &c, 1);
            if (r == 0)
                _exit(0);
            if (r != 1)
                _exit(3);
            c ^= 0xa5;
            if (write(up[1], &c, 1) != 1)
                _exit(4);
        }
    }
    close(down[0]);
    close(up[1]);
    pp.to_child = down[1];
    pp.from_child = up[0];
    pp.child = pid;
    return 0;
}

static int run_pipe(long n)
{
    for (long i = 0; i < n; i++) {
        unsigned char b = (unsigned char)pp.seq++, r = 0;
        if (write(pp.to_child, &b, 1) != 1)
            return fail("write to the pipe: %s", strerror(errno));
        if (read(pp.from_child, &r, 1) != 1)
            return fail("read from the pipe: %s", strerror(errno));
        if (r != (unsigned char)(b ^ 0xa5))
            return fail("the pipe carried %#x, expected %#x", r, b ^ 0xa5);
    }
    return 0;
}

static int reap(pid_t pid, int want, const char *who)
{
    int st;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (w != pid)
        return fail("waitpid(%s): %s", who, strerror(errno));
    if (!WIFEXITED(st))
        return fail("%s did not exit (wait status %#x)", who, st);
    if (WEXITSTATUS(st) != want)
        return fail("%s exited with %d, expected %d", who, WEXITSTATUS(st), want);
    return 0;
}

static int teardown_pipe(void)
{
    close(pp.to_child); /* EOF: the child exits 0 */
    int r = reap(pp.child, 0, "the echo child");
    close(pp.from_child);
    return r;
}

/* ---- futex ping-pong between two threads -------------------------------- */

#define FUTEX_STOP (-2)

static struct {
    int seq; /* odd: the worker's turn; even: the main thread's */
    long handled;
    pthread_t worker;
} fx;

static long futex(int *addr, int op, int val)
{
    return syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static void *futex_worker(void *arg)
{
    (void)arg;
    for (;;) {
        int v = __atomic_load_n(&fx.seq, __ATOMIC_ACQUIRE);
        if (v == FUTEX_STOP)
            return NULL;
        if (v & 1) {
            __atomic_store_n(&fx.seq, v + 1, __ATOMIC_RELEASE);
            futex(&fx.seq, FUTEX_WAKE, 1);
            fx.handled++;
        } else {
            futex(&fx.seq, FUTEX_WAIT, v);
        }
    }
}

static long futex_rounds;

static int setup_futex(void)
{
    fx.seq = 0;
    fx.handled = 0;
    futex_rounds = 0;
    int e = pthread_create(&fx.worker, NULL, futex_worker, NULL);
    return e ? fail("pthread_create: %s", strerror(e)) : 0;
}

static int run_futex(long n)
{
    for (long i = 0; i < n; i++) {
        int v = __atomic_load_n(&fx.seq, __ATOMIC_ACQUIRE);
        if (v & 1)
            return fail("sequence word %d is odd on the main thread's turn", v);
        __atomic_store_n(&fx.seq, v + 1, __ATOMIC_RELEASE);
        futex(&fx.seq, FUTEX_WAKE, 1);
        int w;
        while ((w = __atomic_load_n(&fx.seq, __ATOMIC_ACQUIRE)) == v + 1)
            futex(&fx.seq, FUTEX_WAIT, v + 1);
        if (w != v + 2)
            return fail("sequence word %d after the worker's turn, expected %d", w, v + 2);
        futex_rounds++;
    }
    return 0;
}

static int teardown_futex(void)
{
    __atomic_store_n(&fx.seq, FUTEX_STOP, __ATOMIC_RELEASE);
    futex(&fx.seq, FUTEX_WAKE, 1);
    int e = pthread_join(fx.worker, NULL);
    if (e)
        return fail("pthread_join: %s", strerror(e));
    if (fx.handled != futex_rounds)
        return fail("the worker answered %ld times for %ld rounds", fx.handled, futex_rounds);
    return 0;
}

/* ---- sched_yield between two processes ---------------------------------- */

/* A page both processes share (MAP_SHARED | MAP_ANONYMOUS, kept across
 * fork): the child's count of its turns, and the stop word. */
struct yield_page {
    volatile long child_turns;
    volatile int stop;
};

static struct {
    struct yield_page *page;
    pid_t child;
    long rounds, extra;
} yd;

static int setup_yield(void)
{
    void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return fail("mmap(MAP_SHARED | MAP_ANONYMOUS): %s", strerror(errno));
    yd.page = p;
    yd.rounds = yd.extra = 0;
    pid_t pid = fork();
    if (pid < 0)
        return fail("fork: %s", strerror(errno));
    if (pid == 0) {
        while (!yd.page->stop) {
            yd.page->child_turns++;
            sched_yield();
        }
        _exit(0);
    }
    yd.child = pid;
    /* Wait (yielding) until the child runs, then go on yielding for
     * 30 ms: Linux's fair scheduler starts a new process a slice ahead,
     * and until the two are level a yield does not switch to it. */
    for (long i = 0; yd.page->child_turns == 0; i++) {
        if (i == 100000000)
            return fail("the yielding child never ran");
        sched_yield();
    }
    int64_t until = mono_ns() + 30 * 1000000;
    for (long i = 0; i < 10000000 && mono_ns() < until; i++)
        sched_yield();
    return 0;
}

/* One operation: yield until the other process has had a turn, so each
 * is one round trip through the scheduler. A yield that finds nothing
 * else to run (Linux's fair scheduler does not switch to a process too
 * far ahead of the caller) is repeated and counted as extra. */
static int run_yield(long n)
{
    for (long i = 0; i < n; i++) {
        long before = yd.page->child_turns;
        for (;;) {
            if (sched_yield() != 0)
                return fail("sched_yield: %s", strerror(errno));
            if (yd.page->child_turns != before)
                break;
            if (++yd.extra > 100000000)
                return fail("the other process stopped running");
        }
        yd.rounds++;
    }
    return 0;
}

static int teardown_yield(void)
{
    yd.page->stop = 1;
    int r = reap(yd.child, 0, "the yielding child");
    out("bench-note sched-yield: %ld round trips, %ld extra yields that did not switch", yd.rounds,
        yd.extra);
    munmap(yd.page, PAGE);
    return r;
}

/* ---- fork+exit+wait, fork+execve+wait ----------------------------------- */

static long forks;

static int run_fork(long n)
{
    for (long i = 0; i < n; i++) {
        int want = (int)(forks++ % 100) + 1;
        pid_t pid = fork();
        if (pid < 0)
            return fail("fork: %s", strerror(errno));
        if (pid == 0)
            _exit(want);
        if (reap(pid, want, "the child") != 0)
            return -1;
    }
    return 0;
}

static int setup_exec(void)
{
    if (access(cfg.tiny, X_OK) != 0)
        return fail("cannot execute %s: %s", cfg.tiny, strerror(errno));
    return 0;
}

static int run_exec(long n)
{
    char *const argv[] = {(char *)cfg.tiny, NULL};
    char *const envp[] = {NULL};
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return fail("fork: %s", strerror(errno));
        if (pid == 0) {
            execve(cfg.tiny, argv, envp);
            _exit(127);
        }
        if (reap(pid, 0, cfg.tiny) != 0)
            return -1;
    }
    return 0;
}

/* ---- signal round trip (kill self) ------------------------------------- */

static volatile sig_atomic_t sig_count;

static void on_sigusr2(int sig)
{
    if (sig == SIGUSR2)
        sig_count++;
}

static struct sigaction saved_action;

static int setup_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr2;
    sigemptyset(&sa.sa_mask);
    sig_count = 0;
    return sigaction(SIGUSR2, &sa, &saved_action) ? fail("sigaction: %s", strerror(errno)) : 0;
}

static int run_signal(long n)
{
    for (long i = 0; i < n; i++) {
        sig_atomic_t before = sig_count;
        if (kill(mypid, SIGUSR2) != 0)
            return fail("kill: %s", strerror(errno));
        if (sig_count != before + 1)
            return fail("the handler ran %d times for one kill", (int)(sig_count - before));
    }
    return 0;
}

static int teardown_signal(void)
{
    sigaction(SIGUSR2, &saved_action, NULL);
    return 0;
}

/* ---- SIGSEGV round trip ------------------------------------------------ */

static volatile char *segv_page;
static volatile sig_atomic_t segv_count;

static void on_sigsegv(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    char *a = info->si_addr;
    if (a < (char *)segv_page || a >= (char *)segv_page + PAGE ||
        mprotect((void *)segv_page, PAGE, PROT_READ | PROT_WRITE) != 0) {
        /* Not ours: let the retried access kill the program. */
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    segv_count++;
}

static struct sigaction saved_segv;

static int setup_segv(void)
{
    void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return fail("mmap: %s", strerror(errno));
    segv_page = p;
    segv_count = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsegv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, &saved_segv) ? fail("sigaction: %s", strerror(errno)) : 0;
}

static int run_segv(long n)
{
    for (long i = 0; i < n; i++) {
        if (mprotect((void *)segv_page, PAGE, PROT_READ) != 0)
            return fail("mprotect(PROT_READ): %s", strerror(errno));
        sig_atomic_t before = segv_count;
        char v = (char)(i | 1);
        segv_page[8] = v; /* faults; the handler makes the page writable */
        if (segv_count != before + 1)
            return fail("the handler ran %d times for one fault", (int)(segv_count - before));
        if (segv_page[8] != v)
            return fail("the retried write did not land");
    }
    return 0;
}

static int teardown_segv(void)
{
    sigaction(SIGSEGV, &saved_segv, NULL);
    return munmap((void *)segv_page, PAGE) ? fail("munmap: %s", strerror(errno)) : 0;
}

/* ---- mmap 1 MiB, touch every page, munmap -------------------------------- */

static int run_mmap(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED)
            return fail("mmap: %s", strerror(errno));
        char v = (char)(i | 1);
        for (long off = 0; off < MMAP_BYTES; off += PAGE) {
            ((volatile char *)p)[off] = v;
            if (((volatile char *)p)[off + PAGE - 1] != 0)
                return fail("fresh anonymous memory at +%#lx is not zero", off + PAGE - 1);
        }
        for (long off = 0; off < MMAP_BYTES; off += PAGE)
            if (((volatile char *)p)[off] != v)
                return fail("the write at +%#lx did not stick", off);
        if (munmap(p, MMAP_BYTES) != 0)
            return fail("munmap: %s", strerror(errno));
    }
    return 0;
}

/* ---- thread create+join -------------------------------------------------- */

static void *thread_body(void *arg)
{
    return (void *)((intptr_t)arg + 1);
}

static int run_thread(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *ret = NULL;
        int e = pthread_create(&t, NULL, thread_body, (void *)(intptr_t)i);
        if (e)
            return fail("pthread_create: %s", strerror(e));
        e = pthread_join(t, &ret);
        if (e)
            return fail("pthread_join: %s", strerror(e));
        if (ret != (void *)(intptr_t)(i + 1))
            return fail("the thread returned %p, expected %p", ret, (void *)(intptr_t)(i + 1));
    }
    return 0;
}

/* ---- files on a tmpfs ------------------------------------------------------ */

/* A 16 MiB file in a tmpfs directory (ExoV6's /tmp; the Linux guest's
 * root is its initramfs, a tmpfs), written and read in 4 KiB and 1 MiB
 * blocks, mapped 1 MiB at a time, and the name operations. */
#define FILE_BYTES (16L << 20)
#define BIG_BLOCK (1L << 20)
static const char *bench_dir = "/tmp";
static char file_path[256], name_path[256];
static int file_fd = -1;
static long file_pos;
static char *block;

static int setup_file(void)
{
    mkdir(bench_dir, 01777);
    snprintf(file_path, sizeof file_path, "%s/bench-file", bench_dir);
    snprintf(name_path, sizeof name_path, "%s/bench-name", bench_dir);
    block = malloc(BIG_BLOCK);
    if (!block)
        return fail("malloc: %s", strerror(errno));
    for (long i = 0; i < BIG_BLOCK; i++)
        block[i] = (char)(i * 7 + 1);
    file_fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (file_fd < 0)
        return fail("open %s: %s", file_path, strerror(errno));
    file_pos = 0;
    return 0;
}

/* As setup_file, and the file written whole. */
static int setup_full_file(void)
{
    if (setup_file() != 0)
        return -1;
    for (long off = 0; off < FILE_BYTES; off += BIG_BLOCK)
        if (pwrite(file_fd, block, BIG_BLOCK, off) != BIG_BLOCK)
            return fail("filling the file: %s", strerror(errno));
    return 0;
}

static int teardown_file(void)
{
    int rc = 0;
    if (file_fd >= 0 && close(file_fd) != 0)
        rc = fail("close: %s", strerror(errno));
    file_fd = -1;
    if (unlink(file_path) != 0 && rc == 0)
        rc = fail("unlink %s: %s", file_path, strerror(errno));
    free(block);
    block = NULL;
    return rc;
}

/* `n` blocks of `size` at the next offsets of the 16 MiB file (wrapping). */
static int file_rw(long n, long size, int writing)
{
    for (long i = 0; i < n; i++) {
        ssize_t r = writing ? pwrite(file_fd, block, size, file_pos)
                            : pread(file_fd, block, size, file_pos);
        if (r != size)
            return fail("%s of %ld at %ld: %zd (%s)", writing ? "pwrite" : "pread", size,
                        file_pos, r, strerror(errno));
        if (!writing && block[1] != (char)8)
            return fail("pread at %ld brought the wrong bytes", file_pos);
        file_pos = (file_pos + size) % FILE_BYTES;
    }
    return 0;
}

static int run_write_4k(long n) { return file_rw(n, PAGE, 1); }
static int run_read_4k(long n) { return file_rw(n, PAGE, 0); }
static int run_write_1m(long n) { return file_rw(n, BIG_BLOCK, 1); }
static int run_read_1m(long n) { return file_rw(n, BIG_BLOCK, 0); }

/* `pread` of the file's first 64 KiB again and again: a cached read. */
static int run_reread_64k(long n)
{
    for (long i = 0; i < n; i++) {
        ssize_t r = pread(file_fd, block, 64 * 1024, 0);
        if (r != 64 * 1024)
            return fail("pread of 64 KiB at 0: %zd (%s)", r, strerror(errno));
        if (block[1] != (char)8 || block[64 * 1024 - 1] != (char)(65535 * 7 + 1))
            return fail("pread at 0 brought the wrong bytes");
    }
    return 0;
}

/* `mmap` 1 MiB of the file read-only (shared), read every page, `munmap`. */
static int run_file_mmap(long n)
{
    for (long i = 0; i < n; i++) {
        const char *p = mmap(NULL, BIG_BLOCK, PROT_READ, MAP_SHARED, file_fd, file_pos);
        if (p == MAP_FAILED)
            return fail("mmap of the file at %ld: %s", file_pos, strerror(errno));
        long sum = 0;
        for (long off = 0; off < BIG_BLOCK; off += PAGE)
            sum += ((const volatile char *)p)[off + 1];
        if (sum != 8L * (BIG_BLOCK / PAGE))
            return fail("the mapping at %ld shows the wrong bytes", file_pos);
        if (munmap((void *)p, BIG_BLOCK) != 0)
            return fail("munmap: %s", strerror(errno));
        file_pos = (file_pos + BIG_BLOCK) % FILE_BYTES;
    }
    return 0;
}

static int run_open_close(long n)
{
    for (long i = 0; i < n; i++) {
        int fd = open(file_path, O_RDONLY);
        if (fd < 0)
            return fail("open: %s", strerror(errno));
        if (close(fd) != 0)
            return fail("close: %s", strerror(errno));
    }
    return 0;
}

static int run_stat(long n)
{
    for (long i = 0; i < n; i++) {
        struct stat st;
        if (stat(file_path, &st) != 0)
            return fail("stat: %s", strerror(errno));
        if (st.st_size != 0)
            return fail("stat: size %lld, expected 0", (long long)st.st_size);
    }
    return 0;
}

static int run_create_unlink(long n)
{
    for (long i = 0; i < n; i++) {
        int fd = open(name_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            return fail("create: %s", strerror(errno));
        if (close(fd) != 0)
            return fail("close: %s", strerror(errno));
        if (unlink(name_path) != 0)
            return fail("unlink: %s", strerror(errno));
    }
    return 0;
}

/* ---- the table ----------------------------------------------------------- */

struct bench {
    const char *name;
    long ops;       /* per batch */
    long quick_ops; /* per batch with --quick */
    int (*setup)(void);
    int (*run)(long n);
    int (*teardown)(void);
};

static const struct bench BENCHES[] = {
    {"getpid", 2000, 200, NULL, run_getpid, NULL},
    {"clock-gettime", 2000, 200, NULL, run_clock, NULL},
    {"pipe", 200, 20, setup_pipe, run_pipe, teardown_pipe},
    {"futex", 200, 20, setup_futex, run_futex, teardown_futex},
    {"sched-yield", 200, 20, setup_yield, run_yield, teardown_yield},
    {"signal", 200, 20, setup_signal, run_signal, teardown_signal},
    {"sigsegv", 200, 20, setup_segv, run_segv, teardown_segv},
    {"mmap-1m", 10, 2, NULL, run_mmap, NULL},
    {"thread", 50, 5, NULL, run_thread, NULL},
    {"fork-exit-wait", 20, 3, NULL, run_fork, NULL},
    {"fork-exec-wait", 20, 3, setup_exec, run_exec, NULL},
    {"file-write-4k", 4096, 256, setup_file, run_write_4k, teardown_file},
    {"file-read-4k", 4096, 256, setup_full_file, run_read_4k, teardown_file},
    {"file-write-1m", 16, 2, setup_file, run_write_1m, teardown_file},
    {"file-read-1m", 16, 2, setup_full_file, run_read_1m, teardown_file},
    {"file-mmap-read", 16, 2, setup_full_file, run_file_mmap, teardown_file},
    {"file-reread-64k", 200, 20, setup_full_file, run_reread_64k, teardown_file},
    {"open-close", 200, 20, setup_file, run_open_close, teardown_file},
    {"stat", 200, 20, setup_file, run_stat, teardown_file},
    {"create-unlink", 200, 20, setup_file, run_create_unlink, teardown_file},
};

static uint64_t overhead_min;
static double total_cycles, total_ns;

/* Runs one benchmark; prints its line. Returns 0 or -1. */
static int measure(const struct bench *b)
{
    static double cyc[MAX_BATCHES], ns[MAX_BATCHES];
    long ops = cfg.quick ? b->quick_ops : b->ops;
    why[0] = 0;
    int rc = b->setup ? b->setup() : 0;
    for (int i = 0; rc == 0 && i < cfg.warmup; i++)
        rc = b->run(ops);
    for (int i = 0; rc == 0 && i < cfg.batches; i++) {
        int64_t c0 = mono_ns();
        uint64_t t0 = tsc();
        rc = b->run(ops);
        uint64_t t1 = tsc();
        int64_t c1 = mono_ns();
        uint64_t ticks = t1 - t0;
        ticks = ticks > overhead_min ? ticks - overhead_min : 0;
        cyc[i] = (double)ticks / (double)ops;
        ns[i] = (double)(c1 - c0) / (double)ops;
        total_cycles += (double)(t1 - t0);
        total_ns += (double)(c1 - c0);
    }
    /* Tear down even after a failure (children must not linger), but
     * keep the first reason. */
    if (b->teardown) {
        char first[sizeof why];
        memcpy(first, why, sizeof why);
        int trc = b->teardown();
        if (rc == 0)
            rc = trc;
        else
            memcpy(why, first, sizeof why);
    }
    if (rc != 0) {
        out("bench %s: FAIL %s", b->name, why[0] ? why : "failed");
        return -1;
    }
    double cmin = cyc[0], nmin = ns[0];
    for (int i = 1; i < cfg.batches; i++) {
        cmin = cyc[i] < cmin ? cyc[i] : cmin;
        nmin = ns[i] < nmin ? ns[i] : nmin;
    }
    double cmed = median(cyc, cfg.batches), nmed = median(ns, cfg.batches);
    out("bench %s median=%.1f min=%.1f iters=%ld batches=%d unit=tsc-cycles ns-median=%.1f "
        "ns-min=%.1f",
        b->name, cmed, cmin, ops * cfg.batches, cfg.batches, nmed, nmin);
    return 0;
}

/* The cost of two back-to-back TSC reads: median and minimum of 100. */
static void overhead(void)
{
    double v[100];
    uint64_t min = UINT64_MAX;
    for (int i = 0; i < 100; i++) {
        uint64_t a = tsc();
        uint64_t b = tsc();
        v[i] = (double)(b - a);
        if (b - a < min)
            min = b - a;
    }
    overhead_min = min;
    out("bench-overhead rdtsc-pair median=%.0f min=%llu unit=tsc-cycles per=batch", median(v, 100),
        (unsigned long long)min);
}

/* As PID 1 without a console (no /dev/console in the initramfs), make
 * one and put it on fds 0-2. */
static void console_for_init(void)
{
    if (fcntl(1, F_GETFD) >= 0)
        return;
    mkdir("/dev", 0755);
    mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        if (fd != i)
            dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* Runs everything on one CPU: the guests have one, and on the host it
 * makes the two-party benchmarks switch instead of running in parallel.
 * Returns the CPU, or -1 if the system cannot say. */
static int pin_to_one_cpu(void)
{
    cpu_set_t set;
    int cpu = sched_getcpu();
    if (cpu < 0)
        return -1;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

static int parse_count(const char *opt, const char *v, int lo, int hi)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < lo || n > hi) {
        out("bench: FAIL bad arguments: %s wants a number from %d to %d", opt, lo, hi);
        if (mypid == 1)
            power_off();
        exit(2);
    }
    return (int)n;
}

/* The default /tiny: beside this program (`/init` -> `/tiny`,
 * `/bin/cbench` -> `/bin/tiny`). */
static const char *default_tiny(const char *argv0)
{
    static char path[4096];
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    if (!slash)
        return "/bin/tiny";
    snprintf(path, sizeof path, "%.*stiny", (int)(slash - argv0 + 1), argv0);
    return path;
}

/* Runs the selected benchmarks; returns the number that failed. */
static int run_all(void)
{
    int cpu = pin_to_one_cpu();
    out("bench config batches=%d warmup=%d ops=per-benchmark quick=%d pid=%d cpu=%d", cfg.batches,
        cfg.warmup, cfg.quick, (int)mypid, cpu);
    struct utsname u;
    if (uname(&u) == 0)
        out("bench-uname sysname=%s release=%s machine=%s", u.sysname, u.release, u.machine);
    overhead();

    int failed = 0;
    for (size_t i = 0; i < sizeof BENCHES / sizeof BENCHES[0]; i++) {
        const struct bench *b = &BENCHES[i];
        if (cfg.filter && !strstr(b->name, cfg.filter))
            continue;
        if (measure(b) != 0)
            failed++;
    }
    /* ExoV6's native counterpart of getpid: the library OS as a function. */
    static const struct bench linked = {"libos-getpid", 2000, 200, setup_linked, run_linked, NULL};
    if (on_exov6() && (!cfg.filter || strstr(linked.name, cfg.filter)) && measure(&linked) != 0)
        failed++;
    if (total_ns > 0)
        out("bench-tsc TSC %.1f MHz (rdtsc against CLOCK_MONOTONIC over all batches)",
            total_cycles * 1000.0 / total_ns);
    out("bench done failed=%d", failed);
    return failed;
}

/* Powers the machine off (as PID 1) after the output has drained. */
static void __attribute__((noreturn)) power_off(void)
{
    tcdrain(1);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

/* As Linux's /init: the benchmarks run in a child, an ordinary process
 * (PID 1 is special: Linux logs every fault it takes, and it reaps
 * orphans); init waits for it, then powers off. */
static void __attribute__((noreturn)) init_main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        mypid = getpid();
        _exit(run_all() ? 1 : 0);
    }
    if (pid < 0) {
        out("bench: FAIL fork: %s", strerror(errno));
    } else {
        for (;;) {
            int st;
            pid_t w = wait(&st);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                out("bench: FAIL wait: %s", strerror(errno));
                break;
            }
            if (w != pid)
                continue; /* an orphan */
            if (WIFSIGNALED(st))
                out("bench: FAIL the program died: killed by signal %d", WTERMSIG(st));
            break;
        }
    }
    power_off();
}

int main(int argc, char **argv)
{
    mypid = getpid();
    if (mypid == 1)
        console_for_init();
    int batches = -1, warmup = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quick")) {
            cfg.quick = 1;
        } else if (!strcmp(a, "--filter") && i + 1 < argc) {
            cfg.filter = argv[++i];
        } else if (!strcmp(a, "--tiny") && i + 1 < argc) {
            cfg.tiny = argv[++i];
        } else if (!strcmp(a, "--batches")) {
            batches = parse_count(a, i + 1 < argc ? argv[++i] : NULL, 1, MAX_BATCHES);
        } else if (!strcmp(a, "--warmup")) {
            warmup = parse_count(a, i + 1 < argc ? argv[++i] : NULL, 0, 1000);
        } else if (!strncmp(a, "--", 2)) {
            out("bench: FAIL bad arguments: unknown option %s", a);
            if (mypid == 1)
                power_off();
            return 2;
        } else {
            /* A word a boot loader passed through; not ours. */
            out("bench-note ignored argument %s", a);
        }
    }
    if (cfg.quick) {
        cfg.batches = 5;
        cfg.warmup = 1;
    }
    if (batches > 0)
        cfg.batches = batches;
    if (warmup >= 0)
        cfg.warmup = warmup;
    if (!cfg.tiny)
        cfg.tiny = default_tiny(argv[0]);
    if (mypid == 1)
        init_main();
    return run_all() ? 1 : 0;
}

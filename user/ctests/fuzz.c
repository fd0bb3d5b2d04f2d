/* fuzz.c: a Linux-ABI fuzzer for ExoV6's library OS, system server and
 * kernel. Written for ExoV6: run it only inside ExoV6 (never on a real
 * Linux, least of all as root: it makes every system call with random
 * arguments).
 *
 *   fuzz [--calls N] [--seed S] [--child-calls K] [--only I] [--trace] [--tty]
 *
 * The supervisor (this process) makes no random call itself. It forks
 * children one after another; child I takes its own seed from S and I, so
 * a run, or one child of it (`--only I`), can be replayed. A child puts
 * itself in a session of its own, points descriptors 0-2 at /dev/null,
 * becomes nobody (uid and gid 65534, no groups: the file system's
 * permissions keep it from destroying the system it runs on),
 * opens a few descriptors of every kind (pipes, a file, a directory,
 * /dev/zero), maps buffers (read-write, read-only, PROT_NONE, a hole), and
 * then makes K calls: a number from 0 to 462 (sometimes far outside), six
 * arguments drawn from boundary values (0, -1, small integers that are
 * mostly valid descriptors, powers of two, the ends of the int ranges,
 * huge lengths), random words, and addresses (NULL and its page, the
 * buffers and their edges, unmapped, PROT_NONE and read-only pages, the
 * stack, the library OS's own image, heap, window and mailbox, the
 * kernel's info page, non-canonical and kernel-half addresses) or
 * pointers to plausible structures (paths, iovecs, short timeouts, empty
 * signal masks, pollfds, a sigaction whose handler returns, a stack_t).
 * Calls are raw `syscall` instructions, so no C library state is needed
 * once the loop runs. A probe child first makes every call once with
 * zero arguments; the numbers that answer ENOSYS then come a sixteenth
 * as often (the probe runs in every replay too). Now and then a child
 * starts a thread that fuzzes for a few calls. With --tty the children
 * also get the console (descriptor 10).
 *
 * A process a child forks (fork, vfork, clone, clone3) fuzzes on for a
 * few calls and exits; every process kills and collects its own children
 * before it ends. Children may end themselves in any way (exit, a fatal
 * signal, unmapping their own code).
 *
 * What is never called, or called only with arguments tamed, and why:
 *   reboot (169)                 it would power off or restart the machine;
 *   kill (62), tkill (200),      the target is the caller itself, its own
 *   tgkill (234),                process group (it leads a session of its
 *   rt_sigqueueinfo (129),       own), one of its own children or a pid
 *   rt_tgsigqueueinfo (297),     nobody has: a child may kill itself, but
 *   pidfd_open (434),            never the supervisor, init or an earlier
 *   process_vm_readv (310),      child, which would end the test, not find
 *   process_vm_writev (311),     a bug (kill(-1, ...) among them);
 *   ptrace (101)
 *   execve (59), execveat (322)  the path is never an executable: a child
 *                                that ran a real program (or this one
 *                                again) would leave the fuzzer.
 *
 * The supervisor watches each child's call counter (a shared page): when
 * it stops moving for a while the child is poked with SIGUSR1 (its handler
 * does nothing, so a blocking call returns EINTR), and when it still does
 * not move the child and its process group are killed with SIGKILL and
 * collected. After every child it prints one line; at the end a check
 * that the system still works (a fork, a pipe, a file) and the summary:
 *
 *   fuzz: done: N calls in C children (X exited, Y killed by a signal,
 *   Z stopped by the supervisor), T ms, R calls/s, seed S
 *
 * A failure of the system itself shows as the kernel or the server
 * reporting it on the console; the line of the last child that ended
 * names the one before the child that caused it (replay it with --only).
 */
#include "ctest.h"

#include <grp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* ---- raw system calls ---- */

static inline long sc(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ---- the random source: splitmix64 ---- */

static uint64_t rng;

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	rng += 0x9e3779b97f4a7c15ULL;
	return mix(rng);
}

/* The seed of child `i` of a run with seed `seed`. */
static uint64_t child_seed(uint64_t seed, long i)
{
	return mix(seed ^ mix((uint64_t)i + 1));
}

/* ---- what the supervisor and a child share ---- */

struct shared {
	/* Calls made by the child and everything it forked. */
	volatile long calls;
	/* The call in progress (number), for the supervisor's report. */
	volatile long last_nr;
	/* Results by kind (enum result). */
	volatile long results[6];
	/* The probe's findings: numbers that answer ENOSYS (bit per number). */
	volatile unsigned char probed_nosys[64];
};

/* Kinds of result the summary counts. */
enum result { RES_OK, RES_ENOSYS, RES_EFAULT, RES_EINVAL, RES_EBADF, RES_OTHER, N_RESULTS };
static const char *const result_names[N_RESULTS] = { "success", "ENOSYS", "EFAULT",
						     "EINVAL", "EBADF", "other errors" };

static enum result classify(long r)
{
	if (r >= 0 || r < -4095)
		return RES_OK;
	switch (-r) {
	case ENOSYS: return RES_ENOSYS;
	case EFAULT: return RES_EFAULT;
	case EINVAL: return RES_EINVAL;
	case EBADF: return RES_EBADF;
	default: return RES_OTHER;
	}
}

/* ---- the child's world ---- */

enum { BUF_SIZE = 64 * 1024, MAX_KIDS = 32, FORKED_CALLS = 30, MAX_DEPTH = 2 };

static char *buf;   /* read-write, followed by an unmapped page */
static char *ro;    /* read-only page */
static char *none;  /* PROT_NONE page */
static char *hole;  /* unmapped page */
static char *stack_scratch;
static long my_pid;
static long kids[MAX_KIDS];
static int nkids;
static int depth;
static int trace_fd = -1;
/* --tty: children get the console as descriptor 10 too. */
static int with_tty;
static long child_index;
/* Numbers a child draws from (the table's 0-462), and how often each has
 * answered ENOSYS in this process. */
enum { N_NR = 463 };
static unsigned char nosys[N_NR];
/* Numbers the probe found unimplemented (the same for every child). */
static unsigned char known_nosys[64];

static int is_known_nosys(long n)
{
	return n >= 0 && n < N_NR && (known_nosys[n / 8] >> (n % 8) & 1);
}

/* Offsets in buf of the plausible structures. */
enum {
	OFF_PATHS = 0,        /* NUL-terminated paths, 32 bytes apart */
	N_PATHS = 8,
	OFF_TIMESPEC = 256,   /* { 0, 1000000 } */
	OFF_TIMEVAL = 272,    /* { 0, 1000 } */
	OFF_SIGSET = 288,     /* 0 */
	OFF_IOV = 320,        /* 4 iovecs into buf + 4096 */
	OFF_POLLFD = 384,     /* 4 pollfds */
	OFF_SOCKADDR = 416,   /* AF_UNIX path */
	OFF_ARGV = 512,       /* { path, NULL } */
	OFF_SIGACT = 544,     /* a kernel struct sigaction: a handler that returns */
	OFF_STACK_T = 608,    /* a stack_t: the upper half of buf */
	OFF_RANDOM = 1024,    /* random bytes from here */
};

static const char *const paths[N_PATHS] = {
	"/etc/motd", "/", "/dev/null", "/nonexistent/x", "/etc", "/dev/zero", ".", "",
};

static void setup_buffers(void)
{
	char *m = mmap(NULL, BUF_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap buffer");
	CHECK(munmap(m + BUF_SIZE, 4096) == 0, "munmap after the buffer");
	buf = m;
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap read-only");
	memcpy(ro, "/etc/motd", 10);
	CHECK(mprotect(ro, 4096, PROT_READ) == 0, "mprotect read-only");
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED, "mmap PROT_NONE");
	hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED && munmap(hole, 4096) == 0, "hole");
	for (int i = 0; i < N_PATHS; i++)
		strcpy(buf + OFF_PATHS + 32 * i, paths[i]);
	long *w = (long *)(buf + OFF_TIMESPEC);
	w[0] = 0, w[1] = 1000000;         /* timespec: 1 ms */
	w[2] = 0, w[3] = 1000;            /* timeval: 1 ms */
	w[4] = 0;                         /* sigset */
	for (int i = 0; i < 4; i++) {     /* iovecs */
		long *v = (long *)(buf + OFF_IOV + 16 * i);
		v[0] = (long)(buf + 4096 + 512 * i);
		v[1] = 64 << i;
	}
	for (int i = 0; i < 4; i++) {     /* pollfds: fd, POLLIN|POLLOUT */
		int *pf = (int *)(buf + OFF_POLLFD + 8 * i);
		pf[0] = 3 + i;
		pf[1] = 5;
	}
	*(unsigned short *)(buf + OFF_SOCKADDR) = 1; /* AF_UNIX */
	strcpy(buf + OFF_SOCKADDR + 2, "/nonexistent-socket");
	long *st = (long *)(buf + OFF_STACK_T);
	st[0] = (long)(buf + BUF_SIZE / 2), st[1] = 0, st[2] = BUF_SIZE / 2;
	/* The handler installed for SIGUSR1, as the kernel keeps it (with
	 * the C library's restorer), with the flags of a random word. */
	CHECK(sc(SYS_rt_sigaction, SIGUSR1, 0, (long)(buf + OFF_SIGACT), 8, 0, 0) == 0,
	      "rt_sigaction read back");
	((long *)(buf + OFF_SIGACT))[1] |= (long)(rnd() & 0x5c000000UL); /* ONSTACK, RESTART, NODEFER, RESETHAND */
	long *argv = (long *)(buf + OFF_ARGV);
	argv[0] = (long)(buf + OFF_PATHS);
	argv[1] = 0;
	for (int i = OFF_RANDOM; i < BUF_SIZE; i += 8) {
		uint64_t r = rnd();
		memcpy(buf + i, &r, 8);
	}
}

static void setup_fds(void)
{
	int fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0, "open /dev/null");
	if (trace_fd >= 0)
		CHECK(dup2(1, trace_fd) == trace_fd, "dup2 trace");
	for (int i = 0; i < 3; i++)
		CHECK(dup2(fd, i) == i, "dup2 /dev/null");
	if (fd > 2)
		close(fd);
	/* 3-4 and 5-6: pipes; 7: a file; 8: a directory; 9: /dev/zero. */
	int p[2];
	CHECK(pipe(p) == 0 && pipe(p) == 0, "pipe");
	CHECK(open("/etc/motd", O_RDONLY) >= 0, "open /etc/motd");
	CHECK(open("/", O_RDONLY | O_DIRECTORY) >= 0, "open /");
	CHECK(open("/dev/zero", O_RDONLY) >= 0, "open /dev/zero");
	CHECK(write(4, "fuzz", 4) == 4, "fill pipe");
	if (with_tty) {
		int t = open("/dev/console", O_RDWR | O_NOCTTY);
		CHECK(t >= 0 && dup2(t, 10) == 10, "open /dev/console");
		if (t != 10)
			close(t);
	}
}

static void poked(int sig)
{
	(void)sig;
}

/* ---- arguments ---- */

static uint64_t pick_addr(void)
{
	static const uint64_t fixed[] = {
		0xffff800000000000ULL, /* the kernel half */
		0xffffffff80000000ULL, /* the kernel's image */
		0xffffffffff600000ULL, /* the vsyscall page */
		0xfffffffffffff000ULL, /* the last page */
		0x0000800000000000ULL, /* the first non-canonical address */
		0x00007ffffffff000ULL, /* the last user page */
		0x00007fffffffe000ULL, /* the kernel's info page */
		0x00007ffffffffffcULL, /* straddling the top of user memory */
		0x00007e0000000000ULL, /* the library OS's image */
		0x00007e0000001000ULL,
		0x00007e4000000000ULL, /* the library OS's heap */
		0x00007e7f00000000ULL, /* the library OS's window */
		0x00007e8000000000ULL, /* the mailbox */
		0x00007e8000001000ULL, /* the mailbox's data */
		0x0000000000001000ULL,
		0x0000000000010000ULL,
		0x00000000dead0000ULL,
		0x0000400000000000ULL,
	};
	switch (rnd() % 12) {
	case 0:
		return fixed[rnd() % (sizeof fixed / sizeof fixed[0])];
	case 1:
		return rnd() % 4096; /* NULL's page */
	case 2:
		return (uint64_t)(buf + (rnd() % BUF_SIZE & ~7UL));
	case 3:
		return (uint64_t)(buf + 4096 * (rnd() % (BUF_SIZE / 4096))); /* a whole page */
	case 4:
		return (uint64_t)(buf + BUF_SIZE - 1 - rnd() % 64); /* runs off the end */
	case 5:
		return (uint64_t)(ro + (rnd() % 64));
	case 6:
		return (uint64_t)(none + (rnd() % 64));
	case 7:
		return (uint64_t)(hole + (rnd() % 64));
	case 8:
		return (uint64_t)(stack_scratch + (rnd() % 1024 & ~7UL));
	case 9: {
		static const int offs[] = { OFF_TIMESPEC, OFF_TIMEVAL, OFF_SIGSET, OFF_IOV, OFF_POLLFD,
					    OFF_SOCKADDR, OFF_ARGV, OFF_SIGACT, OFF_STACK_T };
		return (uint64_t)(buf + offs[rnd() % (sizeof offs / sizeof offs[0])]);
	}
	case 10:
		return (uint64_t)(buf + OFF_PATHS + 32 * (rnd() % N_PATHS));
	default:
		return rnd() & 0x00007ffffffff000ULL; /* a random user page */
	}
}

static uint64_t pick_arg(void)
{
	static const uint64_t bounds[] = {
		0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, 4096, 4095, 4097,
		0x7ffff000ULL, 1ULL << 40, 1ULL << 62, 65536, 1024, 1023, 1025,
		/* flag words calls take: MAP_PRIVATE|MAP_ANONYMOUS (|MAP_FIXED,
		 * MAP_SHARED), PROT_READ|PROT_WRITE(|PROT_EXEC), O_NONBLOCK,
		 * O_CLOEXEC, CLONE_VM, CLONE_VFORK, SA_SIGINFO|SA_RESTORER */
		0x22, 0x32, 0x21, 3, 7, 0x800, 0x80000, 0x100, 0x4000, 0x4000004,
	};
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)-1;
	case 2:
	case 3:
	case 4:
		return rnd() % 12; /* mostly valid descriptors, small flags */
	case 5:
		return bounds[rnd() % (sizeof bounds / sizeof bounds[0])];
	case 6:
		return rnd();
	case 7:
		return 1ULL << (rnd() % 64);
	case 8:
	case 9:
	case 10:
	case 11:
		return pick_addr();
	case 12:
		return (uint32_t)rnd();
	case 13:
		return rnd() % 4096;
	case 14:
		return (uint64_t)-(int64_t)(rnd() % 4096 + 1);
	default:
		return rnd() % 65;  /* signal numbers */
	}
}

/* A pid a child may aim at: itself, its group, one of its children, or
 * nobody. */
static uint64_t tame_pid(void)
{
	switch (rnd() % 5) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)my_pid;
	case 2:
		return (uint64_t)-my_pid;
	case 3:
		if (nkids > 0)
			return (uint64_t)kids[rnd() % nkids];
		return 0x3ffff;
	default:
		return 0x3ffff; /* no such process */
	}
}

/* A path that names no executable program. */
static uint64_t tame_path(void)
{
	switch (rnd() % 4) {
	case 0:
		return (uint64_t)(buf + OFF_PATHS); /* /etc/motd */
	case 1:
		return (uint64_t)(buf + OFF_PATHS + 32 * 3); /* missing */
	case 2:
		return (uint64_t)(ro + 1); /* "etc/motd" */
	default:
		return pick_addr() & ~0xfffULL; /* a bad pointer or a page of garbage */
	}
}

/* ---- the loop ---- */

static void trace(long k, long n, const uint64_t *a)
{
	char line[256];
	int len = snprintf(line, sizeof line, "fuzz: [%ld:%ld] %ld: %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
			   child_index, my_pid, k, n, (unsigned long)a[0], (unsigned long)a[1],
			   (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4],
			   (unsigned long)a[5]);
	sc(SYS_write, trace_fd, (long)line, len, 0, 0, 0);
}

/* Kills and collects every child this process made. */
static void reap_kids(void)
{
	for (int i = 0; i < nkids; i++) {
		sc(SYS_kill, kids[i], SIGKILL, 0, 0, 0, 0);
		sc(SYS_wait4, kids[i], 0, __WALL, 0, 0, 0);
	}
	nkids = 0;
}

static void fuzz_loop(struct shared *sh, long budget);

enum { MAX_THREADS = 8, THREAD_CALLS = 40, THREAD_STACK = 64 * 1024 };
static int nthreads;
static struct shared *thread_shared;

static int thread_main(void *arg)
{
	(void)arg;
	fuzz_loop(thread_shared, THREAD_CALLS);
	sc(SYS_exit, 0, 0, 0, 0, 0, 0);
	return 0;
}

/* A thread (clone with CLONE_VM|CLONE_THREAD, through the C library's
 * clone, which only runs the function on the new stack) that makes a
 * few calls and ends; the counters are shared, so it counts. */
static void spawn_thread(struct shared *sh)
{
	if (nthreads >= MAX_THREADS)
		return;
	char *stack = (char *)sc(SYS_mmap, 0, THREAD_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((long)stack < 0 && (long)stack > -4096)
		return;
	nthreads++;
	thread_shared = sh;
	__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
	sh->last_nr = SYS_clone;
	clone(thread_main, stack + THREAD_STACK,
	      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, NULL);
}

static void fuzz_loop(struct shared *sh, long budget)
{
	for (long k = 0; k < budget; k++) {
		long n;
		if (rnd() % 64 == 0)
			n = (long)rnd(); /* far outside the table */
		else
			n = (long)(rnd() % N_NR);
		if (n == SYS_reboot)
			continue;
		/* The calls that end the process (or mostly do, as a
		 * sigreturn to a garbage frame) come a tenth as often, so a
		 * child lives long enough to build up some state. */
		if ((n == SYS_exit || n == SYS_exit_group || n == SYS_rt_sigreturn) && rnd() % 10 != 0)
			continue;
		/* A number that keeps answering ENOSYS comes an eighth as
		 * often, so most calls reach code that does something. */
		if ((is_known_nosys(n) || (n >= 0 && n < N_NR && nosys[n] >= 1)) && rnd() % 16 != 0)
			continue;
		/* Now and then a thread of its own that fuzzes too. */
		if (rnd() % 256 == 0) {
			spawn_thread(sh);
			continue;
		}
		uint64_t a[6];
		for (int i = 0; i < 6; i++)
			a[i] = pick_arg();
		switch (n) {
		case SYS_kill:
		case SYS_rt_sigqueueinfo:
		case SYS_ptrace:
		case SYS_process_vm_readv:
		case SYS_process_vm_writev:
		case SYS_pidfd_open:
			a[n == SYS_ptrace ? 1 : 0] = tame_pid();
			break;
		case SYS_tkill:
			a[0] = rnd() % 2 ? (uint64_t)my_pid : 0x3ffff;
			break;
		case SYS_tgkill:
		case SYS_rt_tgsigqueueinfo:
			a[0] = rnd() % 2 ? (uint64_t)my_pid : 0x3ffff;
			a[1] = rnd() % 2 ? (uint64_t)my_pid : 0x3ffff;
			break;
		case SYS_execve:
			a[0] = tame_path();
			break;
		case SYS_execveat:
			a[1] = tame_path();
			break;
		}
		__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
		sh->last_nr = n;
		if (trace_fd >= 0)
			trace(k, n, a);
		long r = sc(n, a[0], a[1], a[2], a[3], a[4], a[5]);
		__atomic_fetch_add(&sh->results[classify(r)], 1, __ATOMIC_RELAXED);
		if (r == -ENOSYS && n >= 0 && n < N_NR && nosys[n] < 255)
			nosys[n]++;
		if (n == SYS_fork || n == SYS_vfork || n == SYS_clone || n == SYS_clone3) {
			if (r > 0 && nkids < MAX_KIDS) {
				kids[nkids++] = r;
			} else if (r == 0 && sc(SYS_getpid, 0, 0, 0, 0, 0, 0) != my_pid) {
				/* A new process: a few calls of its own, drawn
				 * apart from its parent's (deterministically). */
				rng = mix(rng ^ (0x632be59bd9b4e019ULL * (uint64_t)(k + 1)));
				my_pid = sc(SYS_getpid, 0, 0, 0, 0, 0, 0);
				nkids = 0;
				nthreads = 0;
				if (++depth > MAX_DEPTH)
					break;
				if (budget - k - 1 > FORKED_CALLS)
					budget = k + 1 + FORKED_CALLS;
			}
		}
	}
}

/* The children fuzz as nobody: as root, on a writable file system, a
 * random unlink or chmod of /etc/motd, /dev/null or / would end the test
 * (as it would end a real system), not find a bug. */
static void become_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0, "setgroups");
	CHECK(setresgid(65534, 65534, 65534) == 0, "setresgid nobody");
	CHECK(setresuid(65534, 65534, 65534) == 0, "setresuid nobody");
}

static void child_main(long index, uint64_t seed, long budget, struct shared *sh)
{
	char scratch[16384];
	rng = seed;
	child_index = index;
	stack_scratch = scratch;
	memset(scratch, 0, sizeof scratch);
	setsid();
	my_pid = getpid();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = poked;
	sigaction(SIGUSR1, &sa, NULL);
	setup_fds();
	setup_buffers();
	become_nobody();
	fuzz_loop(sh, budget);
	reap_kids();
	sc(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* The probe: every number once with all-zero arguments (except those that
 * would end or block it), noting which answer ENOSYS. The children draw
 * those a sixteenth as often. Every run (and every replay) probes first,
 * so a child's calls still depend only on the seed and its index. */
static void probe_main(struct shared *sh)
{
	setsid();
	become_nobody();
	for (long n = 0; n < N_NR; n++) {
		switch (n) {
		case SYS_reboot:
		case SYS_exit:
		case SYS_exit_group:
		case SYS_fork:
		case SYS_vfork:
		case SYS_clone:
		case SYS_clone3:
		case SYS_pause:
		case SYS_rt_sigreturn:
		case SYS_select:
		case SYS_pselect6:
		case SYS_ppoll:
		case SYS_vhangup:
			continue;
		}
		__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
		sh->last_nr = n;
		if (sc(n, 0, 0, 0, 0, 0, 0) == -ENOSYS)
			sh->probed_nosys[n / 8] |= (unsigned char)(1 << (n % 8));
	}
	sc(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* ---- the supervisor ---- */

struct options {
	long calls;
	uint64_t seed;
	long child_calls;
	long only;
	int trace;
	long stall_ms;
	long kill_ms;
};

static long parse_num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *end || v < 0) {
		say("fuzz: bad number %s", s);
		exit(2);
	}
	return v;
}

static struct options parse(int argc, char **argv)
{
	struct options o = { 50000, 0, 1000, -1, 0, 50, 250 };
	int seeded = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--tty")) {
			with_tty = 1;
			continue;
		}
		if (!strcmp(a, "--trace")) {
			o.trace = 1;
			continue;
		}
		if (!v) {
			say("usage: fuzz [--calls N] [--seed S] [--child-calls K] [--only I] [--trace] [--tty]");
			exit(2);
		}
		i++;
		if (!strcmp(a, "--calls"))
			o.calls = parse_num(v);
		else if (!strcmp(a, "--seed"))
			o.seed = strtoull(v, NULL, 0), seeded = 1;
		else if (!strcmp(a, "--child-calls"))
			o.child_calls = parse_num(v);
		else if (!strcmp(a, "--only"))
			o.only = parse_num(v);
		else if (!strcmp(a, "--stall-ms"))
			o.stall_ms = parse_num(v);
		else if (!strcmp(a, "--kill-ms"))
			o.kill_ms = parse_num(v);
		else {
			say("fuzz: unknown option %s", a);
			exit(2);
		}
	}
	if (!seeded) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = mix((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	}
	if (o.child_calls < 1)
		o.child_calls = 1;
	return o;
}

static long ms_since(uint64_t t0)
{
	return (long)((now_ns() - t0) / 1000000);
}

/* How a child ended. */
enum end { ENDED_EXIT, ENDED_SIGNAL, ENDED_STOPPED };

/* Watches child `pid` until it ends; how, with its status word. */
static enum end watch(pid_t pid, struct shared *sh, const struct options *o, int *status)
{
	long seen = -1;
	uint64_t moved = now_ns();
	int poked_once = 0;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == pid)
			return WIFEXITED(*status) ? ENDED_EXIT : ENDED_SIGNAL;
		CHECK(r == 0, "waitpid on a child");
		if (sh->calls != seen) {
			seen = sh->calls;
			moved = now_ns();
			poked_once = 0;
		}
		long still = ms_since(moved);
		if (still >= o->kill_ms)
			break;
		if (still >= o->stall_ms && !poked_once) {
			kill(pid, SIGUSR1);
			poked_once = 1;
		}
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	kill(-pid, SIGKILL);
	pid_t r = waitpid_eintr(pid, status, 0);
	CHECK(r == pid, "waitpid on a killed child");
	return ENDED_STOPPED;
}

/* Forks, retrying a while when the system is short of something. */
/* The highest pid a fork has returned. */
static long max_pid;

/* How many processes exist, as kill(pid, 0) finds them. */
static long live_processes(void)
{
	long n = 0;
	for (long p = 1; p <= max_pid + 64; p++)
		if (kill((pid_t)p, 0) == 0 || errno == EPERM)
			n++;
	return n;
}

static pid_t fork_retrying(void)
{
	int e = 0;
	for (int i = 0; i < 50; i++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid >= 0) {
			if (pid > max_pid)
				max_pid = pid;
			return pid;
		}
		e = errno;
		sleep_ms(20);
	}
	say("fuzz: %ld processes are alive", live_processes());
	errno = e;
	CHECK(0, "fork keeps failing: something the children left behind was never freed");
	return -1;
}

/* The system still works: a fork, a pipe between two processes, a file. */
static void still_works(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe after fuzzing");
	pid_t pid = fork_retrying();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "ok", 2) == 2 ? 0 : 1);
	}
	close(p[1]);
	char b[4] = { 0 };
	CHECK(read_full(p[0], b, 2) == 2 && !memcmp(b, "ok", 2), "read from a child after fuzzing");
	close(p[0]);
	expect_exit(pid, 0, "a child after fuzzing");
	int fd = open("/etc/motd", O_RDONLY);
	CHECK(fd >= 0, "open /etc/motd after fuzzing");
	CHECK(read(fd, b, 4) == 4, "read /etc/motd after fuzzing");
	close(fd);
	say("fuzz: the system still works (fork, pipe, file)");
}

int main(int argc, char **argv)
{
	ctest_start("fuzz");
	/* The children make every unimplemented call there is: silence the
	 * library OS's log of them (it is inherited by fork and exec). */
	if (!getenv("EXOV6_LOG_ENOSYS") && argc > 0) {
		char *env[] = { "EXOV6_LOG_ENOSYS=0", NULL };
		execve(argv[0], argv, env);
	}
	struct options o = parse(argc, argv);
	if (o.trace)
		trace_fd = 100;
	/* With --tty the children change the terminal: the supervisor keeps
	 * its settings to put back after each child, and writes on whatever
	 * group a child made the foreground one. */
	struct termios_raw {
		unsigned char b[60];
	} saved_tty;
	int tty_saved = with_tty && ioctl(1, TCGETS, &saved_tty) == 0;
	signal(SIGTTOU, SIG_IGN);
	setsid();
	signal(SIGPIPE, SIG_IGN);
	/* A child's end interrupts the supervisor's short sleeps. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = poked;
	sigaction(SIGCHLD, &sa, NULL);
	say("fuzz: seed %#llx, %ld calls, %ld per child (replay: fuzz --seed %#llx --calls %ld%s)",
	    (unsigned long long)o.seed, o.calls, o.child_calls, (unsigned long long)o.seed, o.calls,
	    o.child_calls != 1000 ? " --child-calls ..." : "");
	uint64_t t0 = now_ns();
	long total = 0, children = 0, exited = 0, signalled = 0, stopped = 0;
	{
		struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(sh != MAP_FAILED, "mmap shared page");
		pid_t pid = fork_retrying();
		if (pid == 0)
			probe_main(sh);
		int st = 0;
		watch(pid, sh, &o, &st);
		kill(-pid, SIGKILL);
		int unimplemented = 0;
		for (int k = 0; k < 64; k++) {
			known_nosys[k] = sh->probed_nosys[k];
			unimplemented += __builtin_popcount(known_nosys[k]);
		}
		say("fuzz: probe: %d of %d numbers answer ENOSYS", unimplemented, N_NR);
		munmap(sh, 4096);
	}
	long results[N_RESULTS] = { 0 };
	for (long i = o.only >= 0 ? o.only : 0; total < o.calls; i++) {
		struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(sh != MAP_FAILED, "mmap shared page");
		pid_t pid = fork_retrying();
		if (pid == 0)
			child_main(i, child_seed(o.seed, i), o.child_calls, sh);
		int st = 0;
		enum end how = watch(pid, sh, &o, &st);
		/* What the child forked and left in its process group goes
		 * with it (a process that made a session of its own escapes;
		 * it ends when its few calls are done, or stays blocked). */
		kill(-pid, SIGKILL);
		if (tty_saved)
			ioctl(1, TCSETS, &saved_tty);
		long calls = sh->calls;
		total += calls;
		for (int k = 0; k < N_RESULTS; k++)
			results[k] += sh->results[k];
		children++;
		char what[64];
		if (how == ENDED_EXIT) {
			exited++;
			snprintf(what, sizeof what, "exited %d", WEXITSTATUS(st));
		} else if (how == ENDED_SIGNAL) {
			signalled++;
			snprintf(what, sizeof what, "killed by signal %d", WTERMSIG(st));
		} else {
			stopped++;
			snprintf(what, sizeof what, "stopped by the supervisor in call %ld", sh->last_nr);
		}
		say("fuzz: child %ld: %ld calls, %s", i, calls, what);
		munmap(sh, 4096);
		if (o.only >= 0)
			break;
	}
	long ms = ms_since(t0);
	char line[256];
	int len = 0;
	for (int k = 0; k < N_RESULTS; k++)
		len += snprintf(line + len, sizeof line - len, "%s%ld %s", k ? ", " : "", results[k],
				result_names[k]);
	say("fuzz: results: %s (the rest never returned)", line);
	say("fuzz: %ld processes alive (init, this one, and children that escaped and still wait)",
	    live_processes());
	still_works();
	say("fuzz: done: %ld calls in %ld children (%ld exited, %ld killed by a signal, %ld stopped by the "
	    "supervisor), %ld ms, %ld calls/s, seed %#llx",
	    total, children, exited, signalled, stopped, ms, ms > 0 ? total * 1000 / ms : total,
	    (unsigned long long)o.seed);
	return ctest_ok();
}

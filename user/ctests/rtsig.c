/* rtsig: queued real-time signals and the synchronous waits. 100
 * sigqueue'd real-time signals of five numbers, blocked, then delivered to
 * an SA_SIGINFO handler lowest number first and in the order sent within
 * a number, each with its value (a standard signal sent three times is
 * delivered once); sigwaitinfo/sigtimedwait (the timeout, EAGAIN, EINVAL,
 * EINTR for a handled signal outside the set, the siginfo of an instance
 * queued by this process, by another process and by kill); the
 * rt_sigqueueinfo rules (EPERM for si_code >= 0 to another process,
 * ESRCH, EINVAL); sigpending with blocked standard and real-time signals
 * (from this process, its thread and another process); killpg (every
 * member signalled, ESRCH for an empty group, EPERM when no member may
 * be signalled, 0 when some may); RLIMIT_SIGPENDING (EAGAIN for
 * sigqueue, kill still succeeds). Runs as root (setuid for the EPERM
 * cases). */
#include "ctest.h"
#include <sys/resource.h>
#include <sys/syscall.h>

#define NSIG_RT 5
#define COUNT 100

static volatile int seen;
static volatile int seen_sig[COUNT + 8], seen_val[COUNT + 8], seen_code[COUNT + 8];
static volatile int seen_pid_ok = 1, seen_uid_ok = 1;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int i = seen++;
	if (i >= COUNT + 8)
		return;
	seen_sig[i] = sig;
	seen_val[i] = si->si_value.sival_int;
	seen_code[i] = si->si_code;
	if (si->si_pid != getpid())
		seen_pid_ok = 0;
	if (si->si_uid != getuid())
		seen_uid_ok = 0;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), const sigset_t *mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	if (mask)
		sa.sa_mask = *mask;
	else
		sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

static void block(int how, const sigset_t *s)
{
	CHECK(sigprocmask(how, s, NULL) == 0, "sigprocmask");
}

static int queue(pid_t pid, int sig, int v)
{
	union sigval val = {.sival_int = v};
	return sigqueue(pid, sig, val);
}

/* 100 instances of five real-time signals, sent blocked, then
 * unblocked: each delivered once, lowest number first, in order of
 * sending within a number. The handler blocks them all (sa_mask), so
 * they come one after another, not nested. */
static void ordering(void)
{
	sigset_t all;
	sigemptyset(&all);
	sigaddset(&all, SIGUSR1);
	for (int k = 0; k < NSIG_RT; k++)
		sigaddset(&all, SIGRTMIN + k);
	for (int k = 0; k < NSIG_RT; k++)
		handle(SIGRTMIN + k, on_rt, &all);
	handle(SIGUSR1, on_rt, &all);
	block(SIG_BLOCK, &all);
	for (int i = 0; i < COUNT; i++)
		CHECK(queue(getpid(), SIGRTMIN + (i * 3) % NSIG_RT, i) == 0, "sigqueue");
	for (int i = 0; i < 3; i++)
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
	say("before unblocking: %d delivered", seen);
	block(SIG_UNBLOCK, &all);
	say("after unblocking: %d delivered", seen);
	CHECK(seen == COUNT + 1, "every instance delivered");
	say("first: SIGUSR1 %s, code SI_USER %s", yesno(seen_sig[0] == SIGUSR1),
	    yesno(seen_code[0] == SI_USER));
	int in_order = 1, k = 1;
	for (int s = 0; s < NSIG_RT; s++)
		for (int i = 0; i < COUNT; i++)
			if ((i * 3) % NSIG_RT == s) {
				if (seen_sig[k] != SIGRTMIN + s || seen_val[k] != i ||
				    seen_code[k] != SI_QUEUE)
					in_order = 0;
				k++;
			}
	say("100 queued instances in number then sending order, with values: %s",
	    yesno(in_order));
	say("SIGRTMIN first value %d, last SIGRTMIN+4 value %d", seen_val[1], seen_val[COUNT]);
	say("si_pid and si_uid are the sender's: %s", yesno(seen_pid_ok && seen_uid_ok));
	for (int k2 = 0; k2 < NSIG_RT; k2++)
		signal(SIGRTMIN + k2, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
}

static volatile sig_atomic_t usr2;
static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	usr2++;
}

/* The pid of a child already reaped (names nothing). */
static pid_t dead_child(void)
{
	pid_t c = xfork();
	if (c == 0)
		_exit(0);
	expect_exit(c, 0, "the short child");
	return c;
}

/* A child that sleeps `ms`, then sends the parent `sig` (by sigqueue
 * with `value`, or by kill for value < 0) and ends. */
static pid_t sender(int ms, int sig, int value)
{
	pid_t parent = getpid();
	pid_t c = xfork();
	if (c == 0) {
		sleep_ms(ms);
		int r = value < 0 ? kill(parent, sig) : queue(parent, sig, value);
		_exit(r == 0 ? 0 : 1);
	}
	return c;
}

static void waits(void)
{
	sigset_t set;
	siginfo_t si;
	struct timespec ts = {0, 50 * 1000000};
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	block(SIG_BLOCK, &set);

	uint64_t t0 = now_ns();
	FAILS_WITH(sigtimedwait(&set, &si, &ts), EAGAIN, "sigtimedwait 50 ms, nothing pending");
	say("it waited at least 50 ms: %s", yesno(now_ns() - t0 >= 50 * 1000000ull));
	struct timespec zero = {0, 0};
	FAILS_WITH(sigtimedwait(&set, &si, &zero), EAGAIN, "sigtimedwait 0, nothing pending");
	struct timespec bad = {0, 2000000000L};
	FAILS_WITH(sigtimedwait(&set, &si, &bad), EINVAL, "sigtimedwait tv_nsec 2e9");
	FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, &si, NULL, 4), EINVAL,
		   "rt_sigtimedwait sigsetsize 4");

	CHECK(queue(getpid(), SIGRTMIN + 1, 42) == 0, "sigqueue to self");
	memset(&si, 0, sizeof si);
	int r = sigwaitinfo(&set, &si);
	say("sigwaitinfo: SIGRTMIN+%d value %d SI_QUEUE %s own pid %s", r - SIGRTMIN,
	    si.si_value.sival_int, yesno(si.si_code == SI_QUEUE), yesno(si.si_pid == getpid()));

	/* A pointer-sized value survives. */
	union sigval big = {.sival_ptr = (void *)0x123456789abcull};
	CHECK(sigqueue(getpid(), SIGRTMIN + 2, big) == 0, "sigqueue pointer");
	memset(&si, 0, sizeof si);
	r = sigtimedwait(&set, &si, &ts);
	say("sigtimedwait: SIGRTMIN+%d pointer value kept %s", r - SIGRTMIN,
	    yesno(si.si_value.sival_ptr == big.sival_ptr));

	/* From another process, while waiting. */
	pid_t c = sender(50, SIGRTMIN + 2, 7);
	memset(&si, 0, sizeof si);
	r = sigwaitinfo(&set, &si);
	say("from a child: SIGRTMIN+%d value %d SI_QUEUE %s child's pid %s", r - SIGRTMIN,
	    si.si_value.sival_int, yesno(si.si_code == SI_QUEUE), yesno(si.si_pid == c));
	expect_exit(c, 0, "the sigqueue child");

	/* kill, kill, sigqueue of one real-time signal from a child: three
	 * instances, in order. */
	pid_t parent = getpid();
	c = xfork();
	if (c == 0) {
		int ok = kill(parent, SIGRTMIN + 1) == 0 && kill(parent, SIGRTMIN + 1) == 0 &&
			 queue(parent, SIGRTMIN + 1, 5) == 0;
		_exit(ok ? 0 : 1);
	}
	expect_exit(c, 0, "the kill child");
	for (int i = 0; i < 3; i++) {
		memset(&si, 0, sizeof si);
		r = sigtimedwait(&set, &si, &ts);
		say("instance %d: SIGRTMIN+%d code %s value %d", i, r - SIGRTMIN,
		    si.si_code == SI_USER ? "SI_USER" : si.si_code == SI_QUEUE ? "SI_QUEUE" : "?",
		    si.si_code == SI_QUEUE ? si.si_value.sival_int : 0);
	}
	FAILS_WITH(sigtimedwait(&set, &si, &zero), EAGAIN, "no fourth instance");

	/* A handled signal outside the set ends the wait with EINTR (the
	 * raw call: musl's sigtimedwait waits again after EINTR). */
	handle(SIGUSR2, on_usr2, NULL);
	c = sender(50, SIGUSR2, -1);
	struct timespec five = {5, 0};
	FAILS_WITH(syscall(SYS_rt_sigtimedwait, &set, &si, &five, 8), EINTR,
		   "rt_sigtimedwait, SIGUSR2 handled");
	say("the SIGUSR2 handler ran: %s", yesno(usr2 == 1));
	expect_exit(c, 0, "the SIGUSR2 child");
	signal(SIGUSR2, SIG_DFL);

	/* To this thread by rt_tgsigqueueinfo. */
	memset(&si, 0, sizeof si);
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = 11;
	CHECK(syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGRTMIN + 2,
		      &si) == 0,
	      "rt_tgsigqueueinfo");
	memset(&si, 0, sizeof si);
	r = sigwaitinfo(&set, &si);
	say("to the thread: SIGRTMIN+%d value %d", r - SIGRTMIN, si.si_value.sival_int);
	block(SIG_UNBLOCK, &set);
}

/* The rules of rt_sigqueueinfo. */
static void queue_rules(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	block(SIG_BLOCK, &set);
	pid_t c = xfork();
	if (c == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigsuspend(&none);
		_exit(0);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_code = SI_USER;
	FAILS_WITH(syscall(SYS_rt_sigqueueinfo, c, SIGRTMIN, &si), EPERM,
		   "rt_sigqueueinfo si_code SI_USER to another process");
	si.si_code = SI_TKILL;
	FAILS_WITH(syscall(SYS_rt_sigqueueinfo, c, SIGRTMIN, &si), EPERM,
		   "rt_sigqueueinfo si_code SI_TKILL to another process");
	si.si_code = SI_QUEUE;
	CHECK(syscall(SYS_rt_sigqueueinfo, c, 0, &si) == 0, "a probe of the child");
	si.si_code = SI_USER;
	CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si) == 0,
	      "si_code SI_USER to itself");
	FAILS_WITH(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si), EINVAL, "signal 65");
	FAILS_WITH(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)8), EFAULT,
		   "a bad siginfo pointer");
	CHECK(kill(c, SIGKILL) == 0, "kill the child");
	wait_for(c);
	si.si_code = SI_QUEUE;
	FAILS_WITH(syscall(SYS_rt_sigqueueinfo, c, SIGRTMIN, &si), ESRCH, "a reaped child");
	struct timespec zero = {0, 0};
	memset(&si, 0, sizeof si);
	int r = sigtimedwait(&set, &si, &zero);
	say("the one to itself: SIGRTMIN+%d SI_USER %s", r - SIGRTMIN,
	    yesno(si.si_code == SI_USER));
	block(SIG_UNBLOCK, &set);
}

/* sigpending: blocked signals sent by this process, to this thread, by
 * another process; a blocked SIGCHLD is pending though its default is to
 * ignore it. */
static void pending(void)
{
	int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGCHLD, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 5};
	const char *names[] = {"SIGUSR1", "SIGUSR2", "SIGTERM", "SIGCHLD",
			       "SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+5"};
	sigset_t set, p;
	sigemptyset(&set);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&set, sigs[i]);
	block(SIG_BLOCK, &set);
	CHECK(sigpending(&p) == 0, "sigpending");
	say("nothing pending at first: %s", yesno(sigisemptyset(&p)));
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
	CHECK(queue(getpid(), SIGRTMIN, 1) == 0 && queue(getpid(), SIGRTMIN, 2) == 0, "sigqueue");
	CHECK(syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGRTMIN + 5) == 0, "tgkill");
	pid_t parent = getpid();
	pid_t c = xfork();
	if (c == 0)
		_exit(kill(parent, SIGTERM) == 0 ? 0 : 1);
	expect_exit(c, 0, "the SIGTERM child");
	CHECK(sigpending(&p) == 0, "sigpending");
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		say("pending %s: %s", names[i], yesno(sigismember(&p, sigs[i])));
	struct timespec zero = {0, 0};
	int taken = 0;
	while (sigtimedwait(&set, NULL, &zero) > 0)
		taken++;
	say("taken by sigtimedwait: %d", taken);
	CHECK(sigpending(&p) == 0, "sigpending");
	say("nothing pending after: %s", yesno(sigisemptyset(&p)));
	block(SIG_UNBLOCK, &set);
}

/* A child in process group `pgid` (0: a new one) with user id `uid`,
 * that says it is ready on `ready` and ends with 7 when SIGUSR1 comes. */
static void on_usr1_exit(int sig)
{
	(void)sig;
	_exit(7);
}

static pid_t member(pid_t pgid, uid_t uid, int ready)
{
	pid_t c = xfork();
	if (c == 0) {
		signal(SIGUSR1, on_usr1_exit);
		if (setpgid(0, pgid) != 0 || (uid != 0 && setuid(uid) != 0))
			_exit(2);
		char b = 1;
		if (write(ready, &b, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	CHECK(setpgid(c, pgid ? pgid : c) == 0 || errno == EACCES, "setpgid of the member");
	return c;
}

static void await_ready(int rd, int n)
{
	char b;
	for (int i = 0; i < n; i++)
		CHECK(read_full(rd, &b, 1) == 1, "a member is ready");
}

/* Runs killpg(pgid, sig) as user `uid` in a child; its result and errno. */
static void killpg_as(uid_t uid, pid_t pgid, int sig, const char *what)
{
	int fd[2];
	CHECK(pipe(fd) == 0, "pipe");
	pid_t c = xfork();
	if (c == 0) {
		close(fd[0]);
		if (uid != 0 && setuid(uid) != 0)
			_exit(2);
		int res[2];
		res[0] = killpg(pgid, sig);
		res[1] = res[0] == 0 ? 0 : errno;
		_exit(write(fd[1], res, sizeof res) == sizeof res ? 0 : 3);
	}
	close(fd[1]);
	int res[2] = {9, 9};
	CHECK(read_full(fd[0], res, sizeof res) == sizeof res, "the killpg result");
	close(fd[0]);
	expect_exit(c, 0, "the killpg child");
	say("%s: %s", what, res[0] == 0 ? "succeeded" : ctest_errname(res[1]));
}

static void groups(void)
{
	int fd[2];
	CHECK(pipe(fd) == 0, "pipe");
	/* Three root members of a new group. */
	pid_t a = member(0, 0, fd[1]);
	pid_t b = member(a, 0, fd[1]);
	pid_t c = member(a, 0, fd[1]);
	await_ready(fd[0], 3);
	CHECK(killpg(a, 0) == 0, "killpg probe");
	FAILS_WITH(kill(-a, 65), EINVAL, "kill(-pgid, 65)");
	killpg_as(65534, a, SIGUSR1, "killpg of root's group as nobody");
	killpg_as(0, a, SIGUSR1, "killpg of root's group as root");
	int st;
	int all7 = 1;
	pid_t kids[] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		st = wait_for(kids[i]);
		all7 &= WIFEXITED(st) && WEXITSTATUS(st) == 7;
	}
	say("every member took SIGUSR1: %s", yesno(all7));
	FAILS_WITH(killpg(a, SIGUSR1), ESRCH, "killpg of a group that is gone");
	FAILS_WITH(killpg(-1, SIGUSR1), EINVAL, "killpg -1");
	FAILS_WITH(kill(-a, 65), ESRCH, "kill(-pgid, 65) of a group that is gone");
	FAILS_WITH(kill(getpid(), 65), EINVAL, "kill(getpid(), 65)");

	/* A group of one root member and one nobody member: nobody may
	 * signal only its own. */
	a = member(0, 0, fd[1]);
	b = member(a, 65534, fd[1]);
	await_ready(fd[0], 2);
	killpg_as(65534, a, SIGUSR1, "killpg of a mixed group as nobody");
	st = wait_for(b);
	say("the nobody member took SIGUSR1: %s", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 7));
	struct timespec t = {0, 50 * 1000000};
	nanosleep(&t, NULL);
	say("the root member is still there: %s", yesno(waitpid(a, &st, WNOHANG) == 0));
	CHECK(kill(a, SIGKILL) == 0, "kill the root member");
	wait_for(a);
	close(fd[0]);
	close(fd[1]);
}

/* 100 instances of three real-time signals queued by a child for its
 * parent (blocked), taken by sigwaitinfo: lowest number first, in
 * sending order within one, each with its value and the child's pid. */
static void from_child(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (int k = 0; k < 3; k++)
		sigaddset(&set, SIGRTMIN + 6 + k);
	block(SIG_BLOCK, &set);
	pid_t parent = getpid();
	pid_t c = xfork();
	if (c == 0) {
		for (int i = 0; i < COUNT; i++)
			if (queue(parent, SIGRTMIN + 6 + (i * 7) % 3, i) != 0)
				_exit(1);
		_exit(0);
	}
	expect_exit(c, 0, "the child that queued 100");
	int in_order = 1, n = 0;
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < COUNT; i++) {
			if ((i * 7) % 3 != k)
				continue;
			siginfo_t si;
			memset(&si, 0, sizeof si);
			int r = sigwaitinfo(&set, &si);
			if (r != SIGRTMIN + 6 + k || si.si_value.sival_int != i ||
			    si.si_code != SI_QUEUE || si.si_pid != c)
				in_order = 0;
			n++;
		}
	say("from a child: %d taken, in number then sending order with values: %s", n,
	    yesno(in_order));
	struct timespec zero = {0, 0};
	FAILS_WITH(sigtimedwait(&set, NULL, &zero), EAGAIN, "none left");
	block(SIG_UNBLOCK, &set);
}

/* tkill and tgkill: EINVAL for ids <= 0, ESRCH for an unknown thread
 * before EINVAL for a bad signal. */
static void thread_rules(void)
{
	pid_t me = getpid(), tid = (pid_t)syscall(SYS_gettid);
	FAILS_WITH(syscall(SYS_tgkill, me, 0, SIGUSR1), EINVAL, "tgkill tid 0");
	FAILS_WITH(syscall(SYS_tgkill, -me, tid, SIGUSR1), EINVAL, "tgkill tgid -pid");
	FAILS_WITH(syscall(SYS_tkill, -1, SIGUSR1), EINVAL, "tkill -1");
	FAILS_WITH(syscall(SYS_tgkill, me, tid, 65), EINVAL, "tgkill signal 65");
	FAILS_WITH(syscall(SYS_tgkill, me, dead_child(), 65), ESRCH,
		   "tgkill of a thread that is gone, signal 65");
	CHECK(syscall(SYS_tgkill, me, tid, 0) == 0, "tgkill probe of this thread");
}

/* RLIMIT_SIGPENDING: sigqueue beyond it fails with EAGAIN; kill of a
 * real-time signal and sigqueue of a standard one still succeed. */
static void limit(void)
{
	pid_t c = xfork();
	if (c == 0) {
		struct rlimit rl = {8, 8};
		CHECK(setrlimit(RLIMIT_SIGPENDING, &rl) == 0, "setrlimit SIGPENDING 8");
		sigset_t set;
		sigfillset(&set);
		block(SIG_BLOCK, &set);
		int ok = 0, eagain = 0;
		for (int i = 0; i < 20; i++) {
			if (queue(getpid(), SIGRTMIN + 3, i) == 0)
				ok++;
			else if (errno == EAGAIN)
				eagain++;
		}
		say("sigqueue beyond RLIMIT_SIGPENDING 8: accepted 1..8 %s, the rest EAGAIN %s",
		    yesno(ok >= 1 && ok <= 8), yesno(ok + eagain == 20));
		say("kill of SIGRTMIN+4 beyond it: %s",
		    kill(getpid(), SIGRTMIN + 4) == 0 ? "succeeded" : ctest_errname(errno));
		say("sigqueue of SIGUSR1 beyond it: %s",
		    queue(getpid(), SIGUSR1, 1) == 0 ? "succeeded" : ctest_errname(errno));
		struct timespec zero = {0, 0};
		sigset_t w;
		sigemptyset(&w);
		sigaddset(&w, SIGRTMIN + 3);
		int taken = 0;
		siginfo_t si;
		int order = 1;
		while (sigtimedwait(&w, &si, &zero) > 0) {
			if (si.si_value.sival_int != taken)
				order = 0;
			taken++;
		}
		say("the accepted ones are all there, in order: %s", yesno(taken == ok && order));

		/* The limit is the target's: a child of this process queues
		 * for it. */
		pid_t me = getpid();
		pid_t s = xfork();
		if (s == 0) {
			int ok2 = 0, eagain2 = 0;
			for (int i = 0; i < 20; i++) {
				if (queue(me, SIGRTMIN + 3, i) == 0)
					ok2++;
				else if (errno == EAGAIN)
					eagain2++;
			}
			_exit(ok2 >= 1 && ok2 <= 8 && ok2 + eagain2 == 20 ? ok2 : 100);
		}
		int st = wait_for(s);
		int ok2 = WIFEXITED(st) ? WEXITSTATUS(st) : 100;
		say("a child's sigqueue beyond this process's limit: accepted 1..8, the rest "
		    "EAGAIN: %s",
		    yesno(ok2 <= 8));
		taken = 0;
		order = 1;
		while (sigtimedwait(&w, &si, &zero) > 0) {
			if (si.si_value.sival_int != taken)
				order = 0;
			taken++;
		}
		say("the child's accepted ones are all there, in order: %s",
		    yesno(taken == ok2 && order));
		_exit(0);
	}
	expect_exit(c, 0, "the limit child");
}

int main(void)
{
	ctest_start("rtsig");
	say("SIGRTMIN %d SIGRTMAX %d", SIGRTMIN, SIGRTMAX);
	ordering();
	from_child();
	waits();
	thread_rules();
	queue_rules();
	pending();
	groups();
	limit();
	return ctest_ok();
}

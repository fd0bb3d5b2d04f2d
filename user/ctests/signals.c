/* signals: handlers (plain and SA_SIGINFO with si_signo/si_code/si_pid),
 * SIG_IGN, the handler's mask (sa_mask and the signal itself),
 * sigprocmask blocking, sigpending, delivery on unblock, coalescing of a
 * standard signal, SA_RESETHAND (and what stays of the disposition after
 * it, with SA_SIGINFO), sigaltstack (SA_ONSTACK, SS_ONSTACK),
 * sigsuspend, and a blocking read interrupted by a signal: EINTR without
 * SA_RESTART, restarted with it. */
#include "ctest.h"

static volatile sig_atomic_t count, info_ok, mask_ok, on_alt, alt_flag;
static char *alt_base;
static size_t alt_size;

static void on_sig(int sig)
{
	(void)sig;
	count++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	count++;
	info_ok = si->si_signo == sig && si->si_code == SI_USER &&
		  si->si_pid == getpid();
}

static volatile sig_atomic_t reset_blocked;

static void on_reset_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	count++;
	reset_blocked = sigismember(&cur, sig);
	info_ok = si->si_signo == sig;
}

static void on_masked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	mask_ok = sigismember(&cur, sig) && sigismember(&cur, SIGUSR2) &&
		  !sigismember(&cur, SIGTERM);
	count++;
}

static void on_alt_stack(int sig)
{
	(void)sig;
	char here;
	on_alt = &here >= alt_base && &here < alt_base + alt_size;
	stack_t cur;
	sigaltstack(NULL, &cur);
	alt_flag = (cur.ss_flags & SS_ONSTACK) != 0;
	count++;
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
}

static sigset_t just(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	return s;
}

/* A read on an empty pipe while a child keeps sending SIGUSR1 (every
 * 20 ms until told to stop). Returns read's result and errno. */
static int interrupted_read(int restart, int *err)
{
	count = 0;
	handle(SIGUSR1, on_sig, restart ? SA_RESTART : 0);
	int data[2], stop[2];
	CHECK(pipe(data) == 0 && pipe(stop) == 0, "pipe");
	CHECK(fcntl(stop[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	pid_t parent = getpid();
	pid_t pid = xfork();
	if (pid == 0) {
		close(data[0]);
		close(stop[1]);
		char c;
		for (int i = 0; i < 250; i++) {
			kill(parent, SIGUSR1);
			sleep_ms(20);
			if (read(stop[0], &c, 1) >= 0)
				break; /* told to stop, or parent gone */
			/* With SA_RESTART, after a few signals send data. */
			if (restart && i == 3)
				write_all(data[1], "d", 1);
		}
		_exit(0);
	}
	close(data[1]);
	close(stop[0]);
	char c;
	ssize_t r = read(data[0], &c, 1);
	*err = errno;
	close(stop[1]); /* the child sees EOF on stop and exits */
	expect_exit(pid, 0, "signal sender");
	close(data[0]);
	return (int)r;
}

int main(void)
{
	ctest_start("signals");

	/* A plain handler. */
	handle(SIGUSR1, on_sig, 0);
	raise(SIGUSR1);
	say("handler ran: %d", (int)count);
	CHECK(count == 1, "handler runs once");

	/* SA_SIGINFO from kill(getpid()). */
	count = 0;
	struct sigaction sa = { .sa_sigaction = on_info };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction SA_SIGINFO");
	CHECK(kill(getpid(), SIGUSR2) == 0, "kill self");
	say("siginfo: signo, SI_USER and pid right: %s", yesno(info_ok));
	CHECK(count == 1 && info_ok, "siginfo");

	/* SIG_IGN. */
	handle(SIGUSR1, SIG_IGN, 0);
	raise(SIGUSR1);
	say("ignored signal: process goes on");

	/* Blocked: pending, not delivered; delivered once on unblock. */
	count = 0;
	handle(SIGUSR1, on_sig, 0);
	sigset_t usr1 = just(SIGUSR1), old, pend;
	CHECK(sigprocmask(SIG_BLOCK, &usr1, &old) == 0, "block");
	raise(SIGUSR1);
	raise(SIGUSR1);
	CHECK(sigpending(&pend) == 0, "sigpending");
	say("blocked: delivered %d, pending %s", (int)count,
	    yesno(sigismember(&pend, SIGUSR1)));
	CHECK(count == 0 && sigismember(&pend, SIGUSR1), "blocked");
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "unblock");
	say("after unblock: delivered %d (two raises coalesce)", (int)count);
	CHECK(count == 1, "delivered once on unblock");
	CHECK(sigpending(&pend) == 0 && !sigismember(&pend, SIGUSR1),
	      "nothing pending");

	/* The handler runs with sa_mask and its own signal blocked, and the
	 * old mask is back afterwards. */
	count = 0;
	struct sigaction m = { .sa_handler = on_masked };
	sigemptyset(&m.sa_mask);
	sigaddset(&m.sa_mask, SIGUSR2);
	CHECK(sigaction(SIGUSR1, &m, NULL) == 0, "sigaction with sa_mask");
	raise(SIGUSR1);
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	say("mask inside handler right: %s, restored after: %s",
	    yesno(mask_ok),
	    yesno(!sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2)));
	CHECK(count == 1 && mask_ok, "handler mask");
	CHECK(!sigismember(&cur, SIGUSR1), "mask restored");

	/* SA_RESETHAND: the second raise finds the default (terminate), so
	 * run it in a child. */
	pid_t pid = xfork();
	if (pid == 0) {
		count = 0;
		handle(SIGUSR1, on_sig, SA_RESETHAND);
		raise(SIGUSR1);
		raise(SIGUSR1);
		_exit(50);
	}
	int st = wait_for(pid);
	say("SA_RESETHAND: second signal kills: %s",
	    yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1, "SA_RESETHAND");

	/* SA_RESETHAND with SA_SIGINFO: what the disposition is after one
	 * delivery (the handler, the flags and the mask that stay), and
	 * whether the signal was blocked inside the handler. */
	struct sigaction once = { .sa_sigaction = on_reset_info };
	sigemptyset(&once.sa_mask);
	sigaddset(&once.sa_mask, SIGUSR2);
	once.sa_flags = SA_SIGINFO | SA_RESETHAND;
	CHECK(sigaction(SIGUSR1, &once, NULL) == 0, "sigaction SA_RESETHAND|SA_SIGINFO");
	count = 0;
	raise(SIGUSR1);
	struct sigaction after;
	CHECK(sigaction(SIGUSR1, NULL, &after) == 0, "sigaction query");
	say("SA_RESETHAND|SA_SIGINFO: handler ran %d, blocked inside: %s, signo right: %s",
	    (int)count, yesno(reset_blocked), yesno(info_ok));
	say("after it: handler is SIG_DFL: %s, SA_SIGINFO kept: %s, SA_RESETHAND kept: %s, "
	    "mask kept: %s",
	    yesno(after.sa_handler == SIG_DFL), yesno(after.sa_flags & SA_SIGINFO),
	    yesno(after.sa_flags & SA_RESETHAND), yesno(sigismember(&after.sa_mask, SIGUSR2)));
	CHECK(count == 1 && after.sa_handler == SIG_DFL, "SA_RESETHAND resets the handler");

	/* sigaltstack. */
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	CHECK(alt_base != NULL, "malloc");
	stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 };
	CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	count = 0;
	handle(SIGUSR2, on_alt_stack, SA_ONSTACK);
	raise(SIGUSR2);
	stack_t now;
	CHECK(sigaltstack(NULL, &now) == 0, "sigaltstack query");
	say("handler on the alternate stack: %s, SS_ONSTACK inside: %s, "
	    "not after: %s",
	    yesno(on_alt), yesno(alt_flag), yesno(!(now.ss_flags & SS_ONSTACK)));
	CHECK(count == 1 && on_alt && alt_flag, "sigaltstack");
	/* Without SA_ONSTACK the handler uses the normal stack. */
	handle(SIGUSR2, on_alt_stack, 0);
	raise(SIGUSR2);
	say("without SA_ONSTACK on the normal stack: %s", yesno(!on_alt));
	CHECK(!on_alt, "no SA_ONSTACK");
	ss.ss_flags = SS_DISABLE;
	CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack disable");

	/* sigsuspend: wait for a signal from a child. */
	count = 0;
	handle(SIGUSR1, on_sig, 0);
	CHECK(sigprocmask(SIG_BLOCK, &usr1, &old) == 0, "block");
	pid_t parent = getpid();
	pid = xfork();
	if (pid == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	while (count == 0) {
		int r = sigsuspend(&old);
		CHECK(r == -1 && errno == EINTR, "sigsuspend returns EINTR");
	}
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "unblock");
	expect_exit(pid, 0, "sender");
	say("sigsuspend woken by a child's signal: %d", (int)count);

	/* EINTR vs SA_RESTART. */
	int err;
	int r = interrupted_read(0, &err);
	say("read without SA_RESTART: %s", r == -1 && err == EINTR ? "EINTR"
									: "wrong");
	CHECK(r == -1 && err == EINTR, "read interrupted with EINTR");
	r = interrupted_read(1, &err);
	say("read with SA_RESTART: restarted, got %d byte, handler ran: %s", r,
	    yesno(count > 0));
	CHECK(r == 1 && count > 0, "read restarted");

	/* SIGKILL and SIGSTOP cannot be caught; bad signal numbers. */
	struct sigaction k = { .sa_handler = on_sig };
	sigemptyset(&k.sa_mask);
	CHECK(sigaction(SIGKILL, &k, NULL) == -1 && errno == EINVAL,
	      "sigaction SIGKILL is EINVAL");
	CHECK(sigaction(SIGSTOP, &k, NULL) == -1 && errno == EINVAL,
	      "sigaction SIGSTOP is EINVAL");
	CHECK(kill(getpid(), 1000) == -1 && errno == EINVAL,
	      "kill with a bad signal is EINVAL");
	say("SIGKILL/SIGSTOP handlers and bad signal numbers: EINVAL");

	return ctest_ok();
}

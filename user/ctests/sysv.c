/* sysv: System V semaphores and message queues beyond fs-shm's checks:
 * a signal ends a blocked semop and msgrcv with EINTR (never restarted,
 * even with SA_RESTART), semtimedop's timeout is EAGAIN, a process as
 * nobody is refused by the permission bits (EACCES) and by ownership
 * (EPERM), keys with IPC_CREAT/IPC_EXCL, and a msgsnd to a full queue
 * waits until a receiver makes room. Run as root. The key is made from
 * the pid, and every object is removed at exit, so nothing collides on
 * the host. */
#include "ctest.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

static int sem_id = -1, key_id = -1, msg_id = -1;
static pid_t main_pid;

static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	if (sem_id >= 0)
		semctl(sem_id, 0, IPC_RMID);
	if (key_id >= 0)
		semctl(key_id, 0, IPC_RMID);
	if (msg_id >= 0)
		msgctl(msg_id, IPC_RMID, NULL);
}

static void on_alarm(int s)
{
	(void)s;
}

/* SIGALRM to this process in 300 ms, from a child. */
static void alarm_soon(void)
{
	pid_t me = getpid();
	pid_t pid = xfork();
	if (pid == 0) {
		sleep_ms(300);
		kill(me, SIGALRM);
		_exit(0);
	}
}

static struct {
	long type;
	char text[8192];
} big;

int main(void)
{
	ctest_start("sysv");
	CHECK(geteuid() == 0, "run as root");
	main_pid = getpid();
	atexit(cleanup);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");

	sem_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	CHECK(sem_id >= 0, "semget");
	struct sembuf down = { 0, -1, 0 };
	alarm_soon();
	FAILS_WITH(semop(sem_id, &down, 1), EINTR, "a blocked semop and a SA_RESTART handler");
	CHECK(wait(NULL) > 0, "alarm child");
	say("no waiter is left: GETNCNT %d", semctl(sem_id, 0, GETNCNT));
	CHECK(semctl(sem_id, 0, GETNCNT) == 0, "ncnt");
	struct timespec ts = { 0, 200000000 };
	uint64_t t0 = now_ns();
	FAILS_WITH(semtimedop(sem_id, &down, 1, &ts), EAGAIN, "semtimedop of 0.2 s");
	uint64_t waited = (now_ns() - t0) / 1000000;
	say("it waited at least 0.2 s: %s", yesno(waited >= 190));
	CHECK(waited >= 190, "waited");
	struct timespec bad = { 0, 1000000000 };
	FAILS_WITH(semtimedop(sem_id, &down, 1, &bad), EINVAL, "semtimedop with 10^9 ns");
	FAILS_WITH(semop(sem_id, &down, 0), EINVAL, "semop of no operations");

	msg_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	CHECK(msg_id >= 0, "msgget");
	alarm_soon();
	FAILS_WITH(msgrcv(msg_id, &big, 10, 0, 0), EINTR, "a blocked msgrcv and a SA_RESTART handler");
	CHECK(wait(NULL) > 0, "alarm child");

	pid_t pid = xfork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(9);
		int own = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (own < 0 || semctl(own, 0, IPC_RMID) != 0)
			_exit(2);
		if (semctl(sem_id, 0, GETVAL) != -1 || errno != EACCES)
			_exit(3);
		if (semctl(sem_id, 0, IPC_RMID) != -1 || errno != EPERM)
			_exit(4);
		big.type = 1;
		if (msgsnd(msg_id, &big, 1, 0) != -1 || errno != EACCES)
			_exit(5);
		_exit(0);
	}
	expect_exit(pid, 0, "nobody child");
	say("as nobody: its own set made and removed, GETVAL EACCES, IPC_RMID EPERM, msgsnd EACCES: yes");

	key_t key = 0x5e000000 | (getpid() & 0xffffff);
	key_id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0640);
	CHECK(key_id >= 0, "semget of a key");
	say("the key again: same id %s", yesno(semget(key, 1, 0) == key_id));
	CHECK(semget(key, 2, 0600) == key_id, "same id");
	FAILS_WITH(semget(key, 3, 0), EINVAL, "semget of the key with more semaphores");
	FAILS_WITH(semget(key, 1, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_CREAT|IPC_EXCL of the key");
	FAILS_WITH(semget(key ^ 1, 1, 0600), ENOENT, "semget of an unknown key");
	FAILS_WITH(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "a new set of 0");
	CHECK(semctl(key_id, 0, IPC_RMID) == 0, "rmid key");
	key_id = -1;
	FAILS_WITH(semget(key, 1, 0600), ENOENT, "the key after IPC_RMID");

	big.type = 1;
	CHECK(msgsnd(msg_id, &big, 8192, 0) == 0 && msgsnd(msg_id, &big, 8192, 0) == 0, "fill the queue");
	FAILS_WITH(msgsnd(msg_id, &big, 1, IPC_NOWAIT), EAGAIN, "msgsnd to a full queue with IPC_NOWAIT");
	FAILS_WITH(msgsnd(msg_id, &big, 8193, 0), EINVAL, "msgsnd of 8193 bytes");
	pid = xfork();
	if (pid == 0) {
		sleep_ms(200);
		_exit(msgrcv(msg_id, &big, sizeof big.text, 0, 0) == 8192 ? 0 : 2);
	}
	CHECK(msgsnd(msg_id, &big, 100, 0) == 0, "msgsnd that waits for room");
	expect_exit(pid, 0, "receiver");
	struct msqid_ds qs;
	CHECK(msgctl(msg_id, IPC_STAT, &qs) == 0, "IPC_STAT");
	say("a receiver made room for a blocked msgsnd: qnum %lu, cbytes %lu, qbytes %lu", (unsigned long)qs.msg_qnum,
	    (unsigned long)qs.msg_cbytes, (unsigned long)qs.msg_qbytes);
	CHECK(qs.msg_qnum == 2 && qs.msg_cbytes == 8292 && qs.msg_qbytes == 16384, "sizes");
	return ctest_ok();
}

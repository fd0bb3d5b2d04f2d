/* fs-shm: shared memory and System V IPC between processes. Usage:
 *   fs-shm DIR
 * DIR is a writable, empty directory (unused but for the usage check:
 * POSIX shared memory lives in /dev/shm). Checks shm_open/ftruncate/mmap/
 * shm_unlink between two processes, SysV shmget/shmat/shmdt/shmctl,
 * semget/semop/semctl (a blocked semop woken by another process, SEM_UNDO,
 * EIDRM) and msgget/msgsnd/msgrcv/msgctl. Only IPC_PRIVATE keys are used,
 * and every object is removed at exit, so nothing collides on the host. */
#include "ctest.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

union semun_ {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int shm_id = -1, sem_id = -1, msg_id = -1, msg2_id = -1;
static char shm_name[64];
static pid_t main_pid;

/* Removes whatever is left if a check fails (children leave with _exit). */
static void cleanup(void)
{
	if (getpid() != main_pid)
		return;
	if (shm_id >= 0)
		shmctl(shm_id, IPC_RMID, NULL);
	if (sem_id >= 0)
		semctl(sem_id, 0, IPC_RMID);
	if (msg_id >= 0)
		msgctl(msg_id, IPC_RMID, NULL);
	if (msg2_id >= 0)
		msgctl(msg2_id, IPC_RMID, NULL);
	if (shm_name[0])
		shm_unlink(shm_name);
}

static int semval(int id, int n)
{
	int v = semctl(id, n, GETVAL);
	CHECK(v >= 0, "GETVAL");
	return v;
}

/* Waits (up to 5 s) until `n` processes wait on semaphore 0 of `id` to
 * grow (GETNCNT), so the blocking cases do not depend on timing. */
static int wait_ncnt(int id, int n)
{
	for (int i = 0; i < 500; i++) {
		int c = semctl(id, 0, GETNCNT);
		if (c == n)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

struct msg {
	long type;
	char text[32];
};

static void send(int id, long type, const char *text)
{
	struct msg m = { type, { 0 } };
	snprintf(m.text, sizeof m.text, "%s", text);
	CHECK(msgsnd(id, &m, strlen(text) + 1, 0) == 0, "msgsnd");
}

int main(int argc, char **argv)
{
	ctest_start("fs-shm");
	CHECK(argc == 2, "usage: fs-shm DIR");
	(void)argv;
	main_pid = getpid();
	atexit(cleanup);
	long pg = sysconf(_SC_PAGESIZE);

	/* POSIX shared memory. */
	snprintf(shm_name, sizeof shm_name, "/exov6-fs-shm-%d", (int)getpid());
	int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "shm_open");
	char path[128];
	snprintf(path, sizeof path, "/dev/shm%s", shm_name);
	struct stat st;
	CHECK(stat(path, &st) == 0, "stat in /dev/shm");
	say("shm_open makes a file in /dev/shm: regular %s, size %lld, mode %o", yesno(S_ISREG(st.st_mode)),
	    (long long)st.st_size, (unsigned)(st.st_mode & 0777));
	CHECK(S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 0777) == 0600, "shm file");
	int fl = fcntl(fd, F_GETFD);
	say("shm_open sets FD_CLOEXEC: %s", yesno(fl & FD_CLOEXEC));
	CHECK(fl & FD_CLOEXEC, "cloexec");
	FAILS_WITH(shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST, "shm_open O_EXCL of an existing name");
	CHECK(ftruncate(fd, 2 * pg) == 0 && fstat(fd, &st) == 0, "ftruncate shm");
	say("ftruncate to two pages: size %lld", (long long)st.st_size / pg);
	CHECK(st.st_size == 2 * pg, "shm size");
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap shm");
	strcpy(m, "from parent");
	int go[2], back[2];
	CHECK(pipe(go) == 0 && pipe(back) == 0, "pipes");
	pid_t pid = xfork();
	if (pid == 0) {
		char c;
		int cfd = shm_open(shm_name, O_RDWR, 0);
		if (cfd < 0)
			_exit(2);
		char *cm = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (cm == MAP_FAILED || strcmp(cm, "from parent") != 0)
			_exit(3);
		strcpy(cm + pg, "from child");
		if (write(back[1], "1", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		_exit(strcmp(cm + 100, "second") == 0 ? 0 : 5);
	}
	char c;
	CHECK(read(back[0], &c, 1) == 1, "child step");
	say("the child's own shm_open+mmap sees the parent's store, the parent sees the child's: %s",
	    yesno(strcmp(m + pg, "from child") == 0));
	CHECK(strcmp(m + pg, "from child") == 0, "shm across processes");
	strcpy(m + 100, "second");
	CHECK(write(go[1], "x", 1) == 1, "release");
	expect_exit(pid, 0, "shm child");
	CHECK(shm_unlink(shm_name) == 0, "shm_unlink");
	FAILS_WITH(shm_open(shm_name, O_RDWR, 0), ENOENT, "shm_open after shm_unlink");
	FAILS_WITH(shm_unlink(shm_name), ENOENT, "shm_unlink again");
	shm_name[0] = 0;
	say("the mapping outlives shm_unlink: %s", yesno(strcmp(m + pg, "from child") == 0));
	CHECK(strcmp(m + pg, "from child") == 0, "outlives unlink");
	CHECK(munmap(m, 2 * pg) == 0 && close(fd) == 0, "unmap shm");

	/* SysV shared memory. */
	FAILS_WITH(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "shmget of size 0");
	shm_id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	CHECK(shm_id >= 0, "shmget");
	struct shmid_ds ds;
	CHECK(shmctl(shm_id, IPC_STAT, &ds) == 0, "IPC_STAT");
	say("shmget 10000: segsz %zu, nattch %lu, creator is us %s, mode %o", (size_t)ds.shm_segsz,
	    (unsigned long)ds.shm_nattch, yesno(ds.shm_cpid == getpid()), (unsigned)(ds.shm_perm.mode & 0777));
	CHECK(ds.shm_segsz == 10000 && ds.shm_nattch == 0 && ds.shm_cpid == getpid() && (ds.shm_perm.mode & 0777) == 0600,
	      "shm stat");
	char *sm = shmat(shm_id, NULL, 0);
	CHECK(sm != (void *)-1, "shmat");
	int zeros = 1;
	for (int i = 0; i < 10000; i++)
		zeros &= sm[i] == 0;
	CHECK(shmctl(shm_id, IPC_STAT, &ds) == 0, "IPC_STAT 2");
	say("shmat: zero-filled %s, nattch %lu", yesno(zeros), (unsigned long)ds.shm_nattch);
	CHECK(zeros && ds.shm_nattch == 1, "attached");
	strcpy(sm, "sysv parent");
	pid = xfork();
	if (pid == 0) {
		char *cm = shmat(shm_id, NULL, 0);
		if (cm == (void *)-1 || strcmp(cm, "sysv parent") != 0 || strcmp(sm, "sysv parent") != 0)
			_exit(2);
		strcpy(cm + 5000, "sysv child");
		if (write(back[1], "1", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(shmdt(cm) == 0 ? 0 : 4);
	}
	CHECK(read(back[0], &c, 1) == 1, "child step");
	CHECK(shmctl(shm_id, IPC_STAT, &ds) == 0, "IPC_STAT 3");
	say("a child attached (inherited and its own): nattch %lu, its store seen %s", (unsigned long)ds.shm_nattch,
	    yesno(strcmp(sm + 5000, "sysv child") == 0));
	CHECK(ds.shm_nattch == 3 && strcmp(sm + 5000, "sysv child") == 0, "child attach");
	CHECK(write(go[1], "x", 1) == 1, "release");
	expect_exit(pid, 0, "sysv shm child");
	CHECK(shmctl(shm_id, IPC_STAT, &ds) == 0, "IPC_STAT 4");
	say("after the child exits: nattch %lu", (unsigned long)ds.shm_nattch);
	CHECK(ds.shm_nattch == 1, "nattch back");
	CHECK(shmctl(shm_id, IPC_RMID, NULL) == 0, "IPC_RMID");
	say("after IPC_RMID while attached: still usable %s", yesno(strcmp(sm, "sysv parent") == 0));
	CHECK(strcmp(sm, "sysv parent") == 0, "usable after rmid");
	char *again = shmat(shm_id, NULL, SHM_RDONLY);
	say("shmat of a segment marked for removal (Linux allows it): %s",
	    again != (void *)-1 ? "yes" : ctest_errname(errno));
	CHECK(again != (void *)-1 && strcmp(again, "sysv parent") == 0, "shmat after rmid");
	CHECK(shmdt(again) == 0, "shmdt again");
	FAILS_WITH(shmdt(sm + 1), EINVAL, "shmdt of an address that is no attachment");
	CHECK(shmdt(sm) == 0, "shmdt");
	FAILS_WITH(shmctl(shm_id, IPC_STAT, &ds), EINVAL, "IPC_STAT after the last detach");
	shm_id = -1;

	/* Semaphores. */
	sem_id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	CHECK(sem_id >= 0, "semget");
	struct semid_ds sds;
	CHECK(semctl(sem_id, 0, IPC_STAT, (union semun_){ .buf = &sds }) == 0, "sem IPC_STAT");
	say("semget 2: nsems %lu, values %d %d", (unsigned long)sds.sem_nsems, semval(sem_id, 0), semval(sem_id, 1));
	CHECK(sds.sem_nsems == 2 && semval(sem_id, 0) == 0 && semval(sem_id, 1) == 0, "sem initial");
	CHECK(semctl(sem_id, 0, SETVAL, (union semun_){ .val = 3 }) == 0, "SETVAL");
	struct sembuf op = { 0, -1, 0 };
	CHECK(semop(sem_id, &op, 1) == 0, "semop -1");
	say("SETVAL 3 then semop -1: GETVAL %d", semval(sem_id, 0));
	CHECK(semval(sem_id, 0) == 2, "semop value");
	op.sem_op = -5;
	op.sem_flg = IPC_NOWAIT;
	FAILS_WITH(semop(sem_id, &op, 1), EAGAIN, "semop -5 of 2 with IPC_NOWAIT");
	op.sem_op = 0;
	FAILS_WITH(semop(sem_id, &op, 1), EAGAIN, "wait-for-zero of 2 with IPC_NOWAIT");
	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT } };
	FAILS_WITH(semop(sem_id, two, 2), EAGAIN, "an all-or-nothing pair where the second would block");
	say("and the first was not applied: %d", semval(sem_id, 0));
	CHECK(semval(sem_id, 0) == 2, "atomic");
	struct sembuf bad = { 5, 1, 0 };
	FAILS_WITH(semop(sem_id, &bad, 1), EFBIG, "semop on semaphore 5 of 2");
	FAILS_WITH(semctl(sem_id, 0, SETVAL, (union semun_){ .val = 40000 }), ERANGE, "SETVAL 40000");
	unsigned short all[2] = { 0, 7 }, got[2] = { 9, 9 };
	CHECK(semctl(sem_id, 0, SETALL, (union semun_){ .array = all }) == 0 &&
		      semctl(sem_id, 0, GETALL, (union semun_){ .array = got }) == 0,
	      "SETALL/GETALL");
	say("SETALL 0 7, GETALL: %d %d", got[0], got[1]);
	CHECK(got[0] == 0 && got[1] == 7, "getall");

	pid = xfork();
	if (pid == 0) {
		struct sembuf w = { 0, -1, 0 };
		int r = semop(sem_id, &w, 1);
		_exit(r == 0 ? 0 : 2);
	}
	int blocked = wait_ncnt(sem_id, 1);
	say("a child blocks in semop -1 on 0: GETNCNT 1 %s", yesno(blocked));
	CHECK(blocked, "ncnt");
	op.sem_op = 1;
	op.sem_flg = 0;
	CHECK(semop(sem_id, &op, 1) == 0, "semop +1");
	expect_exit(pid, 0, "sem waiter");
	say("semop +1 wakes it: it exits 0, the value is back to %d", semval(sem_id, 0));
	CHECK(semval(sem_id, 0) == 0, "woken");
	int lastpid = semctl(sem_id, 0, GETPID);
	say("GETPID names the child: %s", yesno(lastpid == pid));
	CHECK(lastpid == pid, "getpid");

	pid = xfork();
	if (pid == 0) {
		struct sembuf u = { 1, 5, SEM_UNDO };
		_exit(semop(sem_id, &u, 1) == 0 && semctl(sem_id, 1, GETVAL) == 12 ? 0 : 2);
	}
	expect_exit(pid, 0, "undo child");
	say("SEM_UNDO: a child's +5 is undone at its exit: %d", semval(sem_id, 1));
	CHECK(semval(sem_id, 1) == 7, "undo");

	pid = xfork();
	if (pid == 0) {
		struct sembuf w = { 0, -1, 0 };
		int r = semop(sem_id, &w, 1);
		_exit(r == -1 && errno == EIDRM ? 0 : 2);
	}
	CHECK(wait_ncnt(sem_id, 1), "second waiter blocked");
	CHECK(semctl(sem_id, 0, IPC_RMID) == 0, "sem IPC_RMID");
	expect_exit(pid, 0, "sem EIDRM child");
	say("IPC_RMID wakes a blocked semop with EIDRM: yes");
	FAILS_WITH(semop(sem_id, &op, 1), EINVAL, "semop after IPC_RMID");
	sem_id = -1;

	/* Message queues. */
	msg_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	CHECK(msg_id >= 0, "msgget");
	send(msg_id, 2, "two");
	send(msg_id, 1, "one");
	send(msg_id, 3, "three");
	send(msg_id, 1, "uno");
	struct msqid_ds qs;
	CHECK(msgctl(msg_id, IPC_STAT, &qs) == 0, "msg IPC_STAT");
	say("four messages: qnum %lu, cbytes %lu, last sender is us %s", (unsigned long)qs.msg_qnum,
	    (unsigned long)qs.msg_cbytes, yesno(qs.msg_lspid == getpid()));
	CHECK(qs.msg_qnum == 4 && qs.msg_cbytes == 4 + 4 + 6 + 4 && qs.msg_lspid == getpid(), "msg stat");
	struct msg r;
	ssize_t n = msgrcv(msg_id, &r, sizeof r.text, 3, 0);
	say("msgrcv type 3: %zd \"%s\" (type %ld)", n, r.text, r.type);
	CHECK(n == 6 && strcmp(r.text, "three") == 0 && r.type == 3, "type 3");
	n = msgrcv(msg_id, &r, sizeof r.text, 0, 0);
	say("msgrcv type 0 takes the oldest: \"%s\" (type %ld)", r.text, r.type);
	CHECK(n == 4 && strcmp(r.text, "two") == 0, "type 0");
	send(msg_id, 2, "deux");
	n = msgrcv(msg_id, &r, sizeof r.text, -2, 0);
	say("msgrcv type -2 takes the lowest type first: \"%s\" (type %ld)", r.text, r.type);
	CHECK(strcmp(r.text, "one") == 0 && r.type == 1, "type -2");
	n = msgrcv(msg_id, &r, sizeof r.text, 1, MSG_EXCEPT);
	say("msgrcv type 1 with MSG_EXCEPT: \"%s\" (type %ld)", r.text, r.type);
	CHECK(strcmp(r.text, "deux") == 0 && r.type == 2, "except");
	FAILS_WITH(msgrcv(msg_id, &r, sizeof r.text, 7, IPC_NOWAIT), ENOMSG, "msgrcv of a missing type with IPC_NOWAIT");
	FAILS_WITH(msgrcv(msg_id, &r, 2, 1, 0), E2BIG, "msgrcv of 4 bytes into 2");
	memset(r.text, 0, sizeof r.text);
	n = msgrcv(msg_id, &r, 2, 1, MSG_NOERROR);
	say("with MSG_NOERROR: %zd \"%.2s\", and the message is gone: %s", n, r.text,
	    yesno(msgctl(msg_id, IPC_STAT, &qs) == 0 && qs.msg_qnum == 0));
	CHECK(n == 2 && memcmp(r.text, "un", 2) == 0 && qs.msg_qnum == 0, "noerror");
	FAILS_WITH(msgsnd(msg_id, &(struct msg){ 0, "x" }, 2, 0), EINVAL, "msgsnd of type 0");

	pid = xfork();
	if (pid == 0) {
		struct msg cm;
		ssize_t k = msgrcv(msg_id, &cm, sizeof cm.text, 5, 0);
		_exit(k == 5 && strcmp(cm.text, "wake") == 0 ? 0 : 2);
	}
	sleep_ms(50);
	send(msg_id, 4, "skip");
	send(msg_id, 5, "wake");
	expect_exit(pid, 0, "msg receiver");
	CHECK(msgctl(msg_id, IPC_STAT, &qs) == 0, "stat after");
	say("a blocked msgrcv of type 5 takes only its message: qnum left %lu, last receiver the child %s",
	    (unsigned long)qs.msg_qnum, yesno(qs.msg_lrpid == pid));
	CHECK(qs.msg_qnum == 1 && qs.msg_lrpid == pid, "blocked receive");
	msg2_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	CHECK(msg2_id >= 0, "msgget 2");
	pid = xfork();
	if (pid == 0) {
		struct msg cm;
		if (write(back[1], "1", 1) != 1)
			_exit(3);
		ssize_t k = msgrcv(msg2_id, &cm, sizeof cm.text, 0, 0);
		_exit(k == -1 && errno == EIDRM ? 0 : 2);
	}
	/* Message queues have no GETNCNT: give the child time to block. */
	CHECK(read(back[0], &c, 1) == 1, "receiver about to block");
	sleep_ms(200);
	CHECK(msgctl(msg2_id, IPC_RMID, NULL) == 0, "msg IPC_RMID 2");
	expect_exit(pid, 0, "msg EIDRM child");
	say("IPC_RMID wakes a blocked msgrcv with EIDRM: yes");
	msg2_id = -1;
	CHECK(msgctl(msg_id, IPC_RMID, NULL) == 0, "msg IPC_RMID");
	FAILS_WITH(msgsnd(msg_id, &(struct msg){ 1, "x" }, 2, 0), EINVAL, "msgsnd after IPC_RMID");
	msg_id = -1;
	return ctest_ok();
}

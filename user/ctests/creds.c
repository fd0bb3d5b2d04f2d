/* creds: user and group ids, and the file permissions they give. Usage:
 *   creds DIR
 * DIR is a writable directory, searchable by everyone along its path
 * (in ExoV6 /tmp); the test makes DIR/creds.d and removes it at the end.
 * Run as root. Checks getresuid/getresgid; setgroups/getgroups (sorted,
 * EINVAL sizes, EPERM unprivileged); setresuid to nobody (65534) keeping
 * saved uid 0 and back; setreuid swaps and the saved-uid rule; setfsuid
 * (returns the old id, drops root's file powers); setuid(65534) for good
 * in a child (setuid(0) and kill of a root process EPERM); and, with a
 * root file of mode 0600 and 0000: open as nobody EACCES, access() by the
 * real ids, chmod/chown by a non-owner EPERM, a 0700 directory not
 * searchable by nobody, and a 1777 directory where nobody cannot unlink
 * or rename over root's file but may remove its own. */
#include "ctest.h"
#include <dirent.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#define NOBODY 65534

static char top[4096];

static const char *err_name(int r, int want, const char *name)
{
	return r == -1 && errno == want ? name : "wrong";
}

static const char *path(const char *name)
{
	static char buf[2][4200];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof buf[i], "%s/%s", top, name);
	return buf[i];
}

static void ids(const char *what)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	CHECK(getresuid(&r, &e, &s) == 0, "getresuid");
	CHECK(getresgid(&rg, &eg, &sg) == 0, "getresgid");
	say("%s: uid %u %u %u gid %u %u %u", what, r, e, s, rg, eg, sg);
}

static void expect_uids(uid_t r, uid_t e, uid_t s, const char *what)
{
	uid_t a, b, c;
	CHECK(getresuid(&a, &b, &c) == 0, "getresuid");
	say("%s: %u %u %u", what, a, b, c);
	CHECK(a == r && b == e && c == s, what);
}

static int can_open(const char *p, int flags)
{
	int fd = open(p, flags);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void make_file(const char *p, mode_t mode)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0600);
	CHECK(fd >= 0, "create file");
	CHECK(write_all(fd, "secret\n", 7) == 0, "write file");
	CHECK(close(fd) == 0, "close file");
	CHECK(chmod(p, mode) == 0, "chmod file");
}

/* Runs `body` in a child that is nobody for good (all ids 65534, no
 * supplementary groups); the child must exit 0. */
static void as_nobody(void (*body)(void), const char *what)
{
	pid_t pid = xfork();
	if (pid == 0) {
		CHECK(setgroups(0, NULL) == 0, "child: setgroups");
		CHECK(setgid(NOBODY) == 0, "child: setgid");
		CHECK(setuid(NOBODY) == 0, "child: setuid");
		body();
		_exit(0);
	}
	expect_exit(pid, 0, what);
}

static void nobody_for_good(void)
{
	expect_uids(NOBODY, NOBODY, NOBODY, "child after setuid(65534)");
	gid_t g[4];
	CHECK(getgroups(4, g) == 0, "child has no groups");
	errno = 0;
	int r = setuid(0);
	say("child setuid(0): %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setuid(0) refused");
	r = setresuid(-1, 0, -1);
	say("child setresuid(-1, 0, -1): %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "seteuid(0) refused");
	r = setgid(0);
	say("child setgid(0): %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setgid(0) refused");
	gid_t zero = 0;
	r = setgroups(1, &zero);
	say("child setgroups: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setgroups refused");
	r = kill(getppid(), 0);
	say("child kill(root parent, 0): %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "kill of a root process refused");
	CHECK(kill(getpid(), 0) == 0, "kill of itself");
	/* setfsuid to an id it does not hold: refused, still returns the old. */
	int old = setfsuid(0);
	int now = setfsuid(-1);
	say("child setfsuid(0): old %d, now %d", old, now);
	CHECK(old == NOBODY && now == NOBODY, "setfsuid(0) refused");
	expect_uids(NOBODY, NOBODY, NOBODY, "child ids unchanged");
}

static void nobody_files(void)
{
	int r = can_open(path("secret"), O_RDONLY);
	say("nobody open 0600 root file: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "open 0600 as nobody");
	r = can_open(path("public"), O_RDONLY);
	say("nobody open 0644 root file for read: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "open 0644 for read as nobody");
	r = can_open(path("public"), O_WRONLY);
	say("nobody open 0644 root file for write: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "open 0644 for write as nobody");
	r = access(path("secret"), R_OK);
	say("nobody access(0600, R_OK): %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "access as nobody");
	CHECK(access(path("secret"), F_OK) == 0, "access F_OK as nobody");
	r = chmod(path("public"), 0666);
	say("nobody chmod root file: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "chmod by non-owner");
	r = chown(path("public"), NOBODY, NOBODY);
	say("nobody chown root file: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "chown by non-owner");

	/* A 0700 directory: no search, no listing. */
	struct stat st;
	r = stat(path("private/inside"), &st);
	say("nobody stat in 0700 dir: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "stat through 0700 dir");
	r = can_open(path("private/inside"), O_RDONLY);
	say("nobody open in 0700 dir: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "open through 0700 dir");
	DIR *d = opendir(path("private"));
	say("nobody opendir 0700 dir: %s", d == NULL && errno == EACCES ? "EACCES" : "wrong");
	CHECK(d == NULL && errno == EACCES, "opendir 0700");
	CHECK(stat(path("private"), &st) == 0, "stat of the 0700 dir itself");

	/* 0777, not sticky: anyone may remove anything. */
	r = unlink(path("open/rootfile"));
	say("nobody unlink root file in 0777 dir: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "unlink in 0777 dir");

	/* 1777: only the owner (of the file or the directory) may. */
	r = unlink(path("sticky/rootfile"));
	say("nobody unlink root file in 1777 dir: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "unlink in sticky dir");
	int fd = open(path("sticky/mine"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	CHECK(fd >= 0, "nobody creates a file in the sticky dir");
	CHECK(fstat(fd, &st) == 0, "fstat own file");
	say("nobody's new file: uid %u gid %u mode %o", st.st_uid, st.st_gid,
	    st.st_mode & 07777);
	CHECK(st.st_uid == NOBODY && st.st_gid == NOBODY && (st.st_mode & 07777) == 0644,
	      "new file's owner");
	close(fd);
	r = rename(path("sticky/mine"), path("sticky/rootfile"));
	say("nobody rename over root file in 1777 dir: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "rename over a root file in sticky dir");
	r = can_open(path("sticky/rootfile"), O_WRONLY);
	say("nobody open 0666 root file in 1777 dir for write: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "write a 0666 file in the sticky dir");
	CHECK(rename(path("sticky/mine"), path("sticky/mine2")) == 0, "rename own file");
	r = unlink(path("sticky/mine2"));
	say("nobody unlink own file in 1777 dir: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "unlink own file in sticky dir");
	/* Made again for root to remove. */
	fd = open(path("sticky/nobodys"), O_CREAT | O_EXCL | O_WRONLY, 0600);
	CHECK(fd >= 0, "nobody creates a second file");
	close(fd);
}

static void cleanup(void)
{
	static const char *files[] = { "secret", "locked", "public", "private/inside",
				       "open/rootfile", "sticky/rootfile", "sticky/mine",
				       "sticky/mine2", "sticky/nobodys" };
	static const char *dirs[] = { "private", "open", "sticky" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		unlink(path(files[i]));
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		rmdir(path(dirs[i]));
	rmdir(top);
}

int main(int argc, char **argv)
{
	ctest_start("creds");
	CHECK(argc == 2, "usage: creds DIR");
	snprintf(top, sizeof top, "%s/creds.d", argv[1]);
	umask(0);

	/* The starting ids: root. */
	ids("start");
	CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0,
	      "runs as root");

	/* Supplementary groups: kept sorted, duplicates and all. */
	gid_t want[] = { 100, 5, 100 };
	CHECK(setgroups(3, want) == 0, "setgroups");
	gid_t got[8] = { 0 };
	int n = getgroups(0, NULL);
	say("getgroups count: %d", n);
	CHECK(n == 3, "getgroups(0) counts");
	n = getgroups(8, got);
	say("groups: %u %u %u", got[0], got[1], got[2]);
	CHECK(n == 3 && got[0] == 5 && got[1] == 100 && got[2] == 100, "groups sorted");
	errno = 0;
	int r = getgroups(2, got);
	say("getgroups(2) of 3: %s", err_name(r, EINVAL, "EINVAL"));
	CHECK(r == -1 && errno == EINVAL, "getgroups too small");
	r = setgroups(65537, want);
	say("setgroups(65537): %s", err_name(r, EINVAL, "EINVAL"));
	CHECK(r == -1 && errno == EINVAL, "setgroups past NGROUPS_MAX");
	/* A long list (more than a page of ids), given in reverse. */
	static gid_t many[10000], back[10000];
	for (int i = 0; i < 10000; i++)
		many[i] = (gid_t)(20000 - 2 * i);
	CHECK(setgroups(10000, many) == 0, "setgroups(10000)");
	n = getgroups(10000, back);
	int sorted = n == 10000;
	for (int i = 0; sorted && i < n; i++)
		sorted = back[i] == (gid_t)(2 + 2 * i);
	say("10000 groups: count %d, sorted %s", getgroups(0, NULL), yesno(sorted));
	CHECK(sorted, "many groups");
	errno = 0;
	r = setgroups(3, (gid_t *)8);
	say("setgroups from a bad address: %s", err_name(r, EFAULT, "EFAULT"));
	CHECK(r == -1 && errno == EFAULT, "setgroups EFAULT");
	CHECK(getgroups(0, NULL) == 10000, "groups unchanged by the failed call");
	CHECK(setgroups(0, NULL) == 0, "setgroups empty");
	CHECK(getgroups(0, NULL) == 0, "no groups");

	/* setresuid to nobody with saved uid 0, and back. */
	CHECK(setresuid(NOBODY, NOBODY, 0) == 0, "setresuid(65534, 65534, 0)");
	expect_uids(NOBODY, NOBODY, 0, "after setresuid(65534, 65534, 0)");
	int fs = setfsuid(-1);
	say("fsuid follows: %s", yesno(fs == NOBODY));
	CHECK(fs == NOBODY, "fsuid follows euid");
	r = setuid(1000);
	say("setuid(1000) with saved 0: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setuid to an id not held");
	r = setgroups(1, want);
	say("setgroups with euid nobody: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setgroups needs CAP_SETGID");
	r = setresuid(-1, -1, 1000);
	say("setresuid(-1, -1, 1000) unprivileged: %s", err_name(r, EPERM, "EPERM"));
	CHECK(r == -1 && errno == EPERM, "setresuid to an id not held");
	CHECK(setresuid(0, 0, 0) == 0, "back to root through the saved uid");
	expect_uids(0, 0, 0, "back");
	CHECK(setgroups(0, NULL) == 0, "root again: setgroups works");

	/* setreuid: the saved uid follows the new euid when the real uid is
	 * given or the euid differs from the old real uid. */
	CHECK(setreuid(NOBODY, 0) == 0, "setreuid(65534, 0)");
	expect_uids(NOBODY, 0, 0, "after setreuid(65534, 0)");
	CHECK(setreuid(0, NOBODY) == 0, "setreuid(0, 65534)");
	expect_uids(0, NOBODY, NOBODY, "swapped: setreuid(0, 65534)");
	/* Unprivileged now; swapping back needs only ids held. */
	CHECK(setreuid(NOBODY, 0) == 0, "swap back unprivileged");
	expect_uids(NOBODY, 0, 0, "swapped back");
	CHECK(setreuid(0, -1) == 0, "setreuid(0, -1)");
	expect_uids(0, 0, 0, "setreuid(0, -1)");
	CHECK(setreuid(-1, NOBODY) == 0, "setreuid(-1, 65534)");
	expect_uids(0, NOBODY, NOBODY, "setreuid(-1, 65534)");
	CHECK(setreuid(-1, 0) == 0, "setreuid(-1, 0)");
	expect_uids(0, 0, NOBODY, "setreuid(-1, 0): saved unchanged");
	CHECK(setresuid(0, 0, 0) == 0, "all root");

	/* setregid / setresgid the same way. */
	CHECK(setresgid(NOBODY, NOBODY, 0) == 0, "setresgid");
	ids("after setresgid(65534, 65534, 0)");
	CHECK(setregid(0, 0) == 0, "setregid back");
	ids("after setregid(0, 0)");
	CHECK(getegid() == 0 && getgid() == 0, "gids back");

	/* The test directory and files, made by root. */
	cleanup();
	CHECK(mkdir(top, 0755) == 0, "mkdir test dir");
	make_file(path("secret"), 0600);
	make_file(path("locked"), 0);
	make_file(path("public"), 0644);
	CHECK(mkdir(path("private"), 0700) == 0, "mkdir private");
	make_file(path("private/inside"), 0644);
	CHECK(mkdir(path("open"), 0777) == 0, "mkdir open");
	make_file(path("open/rootfile"), 0644);
	CHECK(mkdir(path("sticky"), 01777) == 0, "mkdir sticky");
	make_file(path("sticky/rootfile"), 0666);
	struct stat st;
	CHECK(stat(path("sticky"), &st) == 0, "stat sticky");
	say("sticky dir mode: %o", st.st_mode & 07777);
	CHECK((st.st_mode & 07777) == 01777, "sticky mode");

	/* Root reads even a mode 0000 file. */
	r = can_open(path("locked"), O_RDWR);
	say("root open 0000 file: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "root overrides the mode");

	/* setfsuid: returns the old id; with fsuid nobody root's file powers
	 * are gone, and come back with fsuid 0. */
	int old = setfsuid(NOBODY);
	say("setfsuid(65534) returns %d, now %d", old, setfsuid(-1));
	CHECK(old == 0 && setfsuid(-1) == NOBODY, "setfsuid");
	expect_uids(0, 0, 0, "ids under fsuid 65534");
	r = can_open(path("locked"), O_RDONLY);
	say("fsuid nobody open 0000 file: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "fsuid nobody has no DAC override");
	r = can_open(path("secret"), O_RDONLY);
	say("fsuid nobody open 0600 file: %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "fsuid nobody open 0600");
	old = setfsuid(0);
	say("setfsuid(0) returns %d", old);
	CHECK(old == NOBODY && setfsuid(-1) == 0, "setfsuid back");
	CHECK(can_open(path("locked"), O_RDONLY) == 0, "fsuid 0 overrides again");

	/* access() checks the real ids, open the effective ones. */
	CHECK(setresuid(0, NOBODY, 0) == 0, "euid nobody");
	r = access(path("secret"), R_OK);
	say("ruid root, euid nobody: access(0600, R_OK): %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "access by the real uid root");
	r = can_open(path("secret"), O_RDONLY);
	say("ruid root, euid nobody: open(0600): %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "open by the effective uid nobody");
	CHECK(setresuid(NOBODY, 0, 0) == 0, "ruid nobody, euid root");
	r = access(path("secret"), R_OK);
	say("ruid nobody, euid root: access(0600, R_OK): %s", err_name(r, EACCES, "EACCES"));
	CHECK(r == -1 && errno == EACCES, "access by the real uid nobody");
	r = can_open(path("secret"), O_RDONLY);
	say("ruid nobody, euid root: open(0600): %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "open by the effective uid root");
	CHECK(setresuid(0, 0, 0) == 0, "root again");

	/* Nobody for good, in children. */
	as_nobody(nobody_for_good, "nobody child");
	as_nobody(nobody_files, "nobody files child");
	expect_uids(0, 0, 0, "parent still root");

	/* Root may remove anyone's file in the sticky directory. */
	CHECK(stat(path("sticky/nobodys"), &st) == 0, "nobody's file exists");
	say("nobody's second file: uid %u", st.st_uid);
	r = unlink(path("sticky/nobodys"));
	say("root unlink nobody's file in 1777 dir: %s", r == 0 ? "ok" : "refused");
	CHECK(r == 0, "root unlinks in sticky dir");
	CHECK(access(path("open/rootfile"), F_OK) == -1 && errno == ENOENT,
	      "nobody removed the file in the 0777 dir");

	cleanup();
	CHECK(access(top, F_OK) == -1 && errno == ENOENT, "test dir removed");
	return ctest_ok();
}

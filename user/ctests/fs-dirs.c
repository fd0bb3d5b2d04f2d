/* fs-dirs: directories on a tmpfs. Usage:
 *   fs-dirs DIR
 * DIR is a writable, empty directory on a tmpfs; everything is made under
 * it and removed again. Checks mkdir/mkdirat, rmdir, getdents64 (d_type,
 * offsets that stay valid while entries are removed), readdir with
 * telldir/seekdir, chdir/fchdir/getcwd (also of a removed directory),
 * "..", and the link counts and sizes of directories. */
#include "ctest.h"
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct dent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int nlink_of(const char *p)
{
	struct stat st;
	CHECK(stat(p, &st) == 0, "stat for nlink");
	return (int)st.st_nlink;
}

static int same(const char *x, const char *y)
{
	struct stat a, b;
	CHECK(stat(x, &a) == 0 && stat(y, &b) == 0, "stat for same");
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The d_type getdents64 gives `name` in directory `dir`, or -1. */
static int dtype_of(const char *dir, const char *name)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open dir for d_type");
	char buf[4096];
	long n;
	int t = -1;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long o = 0; o < n;) {
			struct dent *d = (void *)(buf + o);
			if (strcmp(d->d_name, name) == 0)
				t = d->d_type;
			o += d->d_reclen;
		}
	CHECK(n == 0, "getdents64");
	close(fd);
	return t;
}

static const char *ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0 ? "yes" : "no";
}

int main(int argc, char **argv)
{
	ctest_start("fs-dirs");
	CHECK(argc == 2, "usage: fs-dirs DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	struct stat st;
	umask(022);

	/* mkdir and mkdirat. */
	CHECK(mkdir("a", 0777) == 0 && stat("a", &st) == 0, "mkdir a");
	say("mkdir 0777 under umask 022: directory %s, mode %o, nlink %d", yesno(S_ISDIR(st.st_mode)),
	    (unsigned)(st.st_mode & 07777), (int)st.st_nlink);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755 && st.st_nlink == 2, "mkdir mode");
	CHECK(mkdir("s", 07777) == 0 && stat("s", &st) == 0, "mkdir s");
	say("mkdir 07777 under umask 022: mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 01755, "mkdir 07777");
	CHECK(rmdir("s") == 0, "rmdir s");
	FAILS_WITH(mkdir("a", 0755), EEXIST, "mkdir of an existing directory");
	CHECK(close(open("file", O_WRONLY | O_CREAT, 0644)) == 0, "create file");
	FAILS_WITH(mkdir("file", 0755), EEXIST, "mkdir of an existing file");
	CHECK(symlink("nowhere", "dangling") == 0, "symlink");
	FAILS_WITH(mkdir("dangling", 0755), EEXIST, "mkdir of a dangling symlink");
	FAILS_WITH(mkdir("missing/x", 0755), ENOENT, "mkdir under a missing directory");
	FAILS_WITH(mkdir("file/x", 0755), ENOTDIR, "mkdir under a file");
	FAILS_WITH(mkdir("", 0755), ENOENT, "mkdir of \"\"");
	CHECK(mkdir("a/b/", 0755) == 0, "mkdir a/b/");
	say("mkdir \"a/b/\" with a trailing slash: %s", yesno(stat("a/b", &st) == 0 && S_ISDIR(st.st_mode)));
	CHECK(stat("a/b", &st) == 0 && S_ISDIR(st.st_mode), "mkdir a/b/");
	int afd = open("a", O_RDONLY | O_DIRECTORY);
	CHECK(afd >= 0, "open a");
	CHECK(mkdirat(afd, "c", 0700) == 0 && fstatat(afd, "c", &st, 0) == 0, "mkdirat");
	say("mkdirat(a, \"c\", 0700): mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 0700, "mkdirat mode");
	FAILS_WITH(mkdirat(afd, "c", 0700), EEXIST, "mkdirat of an existing name");

	/* Link counts and sizes. */
	say("nlink: a (two subdirectories) %d, a/b %d", nlink_of("a"), nlink_of("a/b"));
	CHECK(nlink_of("a") == 4 && nlink_of("a/b") == 2, "nlink");
	CHECK(close(openat(afd, "f", O_WRONLY | O_CREAT, 0644)) == 0, "a/f");
	say("a file in a leaves its nlink at %d", nlink_of("a"));
	CHECK(nlink_of("a") == 4, "file nlink");
	CHECK(stat("a/b", &st) == 0, "stat a/b");
	off_t empty = st.st_size;
	CHECK(stat("a", &st) == 0, "stat a");
	say("tmpfs directory sizes: empty %lld, with three entries %lld", (long long)empty, (long long)st.st_size);
	CHECK(empty == 40 && st.st_size == 100, "dir sizes");

	/* "..". */
	say("\"a/b/..\" is a: %s; \"a/..\" is \".\": %s; \"a/b/../../a/c\" is a/c: %s", yesno(same("a/b/..", "a")),
	    yesno(same("a/..", ".")), yesno(same("a/b/../../a/c", "a/c")));
	CHECK(same("a/b/..", "a") && same("a/..", ".") && same("a/b/../../a/c", "a/c"), "dotdot");
	FAILS_WITH(stat("a/f/..", &st), ENOTDIR, "\"..\" after a file");

	/* rmdir. */
	FAILS_WITH(rmdir("a"), ENOTEMPTY, "rmdir of a non-empty directory");
	FAILS_WITH(rmdir("file"), ENOTDIR, "rmdir of a file");
	FAILS_WITH(rmdir("."), EINVAL, "rmdir of \".\"");
	FAILS_WITH(rmdir("a/b/."), EINVAL, "rmdir of \"a/b/.\"");
	FAILS_WITH(rmdir("a/b/.."), ENOTEMPTY, "rmdir of \"a/b/..\"");
	FAILS_WITH(rmdir("missing"), ENOENT, "rmdir of a missing name");
	CHECK(symlink("a/b", "blink") == 0, "symlink blink");
	FAILS_WITH(rmdir("blink"), ENOTDIR, "rmdir of a symlink to a directory");
	CHECK(rmdir("a/b/") == 0, "rmdir with a trailing slash");
	say("rmdir \"a/b/\": a's nlink now %d", nlink_of("a"));
	CHECK(nlink_of("a") == 3, "nlink after rmdir");
	FAILS_WITH(rmdir("a/b"), ENOENT, "rmdir again");

	/* d_type. */
	CHECK(mkdir("t", 0755) == 0 && mkdir("t/dir", 0755) == 0, "mkdir t");
	CHECK(close(open("t/reg", O_WRONLY | O_CREAT, 0644)) == 0, "t/reg");
	CHECK(symlink("reg", "t/lnk") == 0 && mkfifo("t/fifo", 0644) == 0, "t/lnk t/fifo");
	say("d_type: reg %s, dir %s, lnk %s, fifo %s, . %s, .. %s",
	    yesno(dtype_of("t", "reg") == DT_REG), yesno(dtype_of("t", "dir") == DT_DIR),
	    yesno(dtype_of("t", "lnk") == DT_LNK), yesno(dtype_of("t", "fifo") == DT_FIFO),
	    yesno(dtype_of("t", ".") == DT_DIR), yesno(dtype_of("t", "..") == DT_DIR));
	CHECK(dtype_of("t", "reg") == DT_REG && dtype_of("t", "dir") == DT_DIR &&
		      dtype_of("t", "lnk") == DT_LNK && dtype_of("t", "fifo") == DT_FIFO,
	      "d_type");
	int tfd = open("t", O_RDONLY | O_DIRECTORY);
	CHECK(tfd >= 0, "open t");
	char small[16];
	FAILS_WITH(syscall(SYS_getdents64, tfd, small, sizeof small), EINVAL, "getdents64 into 16 bytes");
	int ffd = open("file", O_RDONLY);
	char big[4096];
	FAILS_WITH(syscall(SYS_getdents64, ffd, big, sizeof big), ENOTDIR, "getdents64 of a file");
	close(ffd);
	long n1 = syscall(SYS_getdents64, tfd, big, sizeof big);
	long n2 = syscall(SYS_getdents64, tfd, big, sizeof big);
	CHECK(lseek(tfd, 0, SEEK_SET) == 0, "rewind dir");
	long n3 = syscall(SYS_getdents64, tfd, big, sizeof big);
	say("getdents64: first call %s, then 0: %s, again after lseek 0 the same: %s", yesno(n1 > 0),
	    yesno(n2 == 0), yesno(n3 == n1));
	CHECK(n1 > 0 && n2 == 0 && n3 == n1, "rewind");
	int cnt = 0;
	int64_t off3 = 0;
	char fourth[256] = "";
	for (long o = 0; o < n3; o += ((struct dent *)(big + o))->d_reclen) {
		struct dent *d = (void *)(big + o);
		cnt++;
		if (cnt == 3)
			off3 = d->d_off;
		if (cnt == 4)
			snprintf(fourth, sizeof fourth, "%s", d->d_name);
	}
	say("entries of t: %d", cnt);
	CHECK(cnt == 6, "6 entries");
	CHECK(lseek(tfd, off3, SEEK_SET) == off3, "lseek to d_off");
	long n4 = syscall(SYS_getdents64, tfd, big, sizeof big);
	say("lseek to the third entry's d_off, then getdents64 starts at the fourth: %s",
	    yesno(n4 > 0 && strcmp(((struct dent *)big)->d_name, fourth) == 0));
	CHECK(n4 > 0 && strcmp(((struct dent *)big)->d_name, fourth) == 0, "d_off resumes");
	close(tfd);

	/* readdir, telldir, seekdir. */
	DIR *dp = opendir("t");
	CHECK(dp != NULL, "opendir");
	struct dirent *de = readdir(dp);
	CHECK(de != NULL && readdir(dp) != NULL, "readdir");
	long pos = telldir(dp);
	de = readdir(dp);
	CHECK(de != NULL, "readdir 3");
	char third[256];
	snprintf(third, sizeof third, "%s", de->d_name);
	int rest = 1;
	while (readdir(dp))
		rest++;
	seekdir(dp, pos);
	de = readdir(dp);
	say("seekdir back to telldir's position gives the same entry: %s; entries from it on: %d",
	    yesno(de && strcmp(de->d_name, third) == 0), rest);
	CHECK(de && strcmp(de->d_name, third) == 0 && rest == 4, "seekdir");
	rewinddir(dp);
	int all = 0;
	while (readdir(dp))
		all++;
	say("after rewinddir: %d entries", all);
	CHECK(all == 6, "rewinddir");
	closedir(dp);
	CHECK(unlink("t/reg") == 0 && unlink("t/lnk") == 0 && unlink("t/fifo") == 0 && rmdir("t/dir") == 0 &&
		      rmdir("t") == 0,
	      "clean t");

	/* getdents64 offsets stay valid while entries go: 100 entries, read
	 * a few at a time, the odd ones removed along the way. */
	CHECK(mkdir("many", 0755) == 0, "mkdir many");
	char name[64];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "many/e%03d", i);
		CHECK(close(open(name, O_WRONLY | O_CREAT, 0644)) == 0, "create entry");
	}
	int seen[100] = { 0 }, dots = 0, removed_upto = 1, calls = 0;
	int mfd = open("many", O_RDONLY | O_DIRECTORY);
	CHECK(mfd >= 0, "open many");
	for (;;) {
		char b[160];
		long n = syscall(SYS_getdents64, mfd, b, sizeof b);
		CHECK(n >= 0, "getdents64 many");
		if (n == 0)
			break;
		calls++;
		for (long o = 0; o < n;) {
			struct dent *d = (void *)(b + o);
			int k;
			if (d->d_name[0] == 'e' && sscanf(d->d_name, "e%d", &k) == 1 && k >= 0 && k < 100)
				seen[k]++;
			else
				dots++;
			o += d->d_reclen;
		}
		for (int j = 0; j < 10 && removed_upto < 100; j++, removed_upto += 2) {
			snprintf(name, sizeof name, "many/e%03d", removed_upto);
			CHECK(unlink(name) == 0, "unlink odd entry");
		}
	}
	close(mfd);
	int once = 1, at_most_once = 1;
	for (int i = 0; i < 100; i++) {
		if (i % 2 == 0 && seen[i] != 1)
			once = 0;
		if (seen[i] > 1)
			at_most_once = 0;
	}
	say("removing while reading: survivors seen exactly once %s, none seen twice %s, dots %d, calls > 10: %s",
	    yesno(once), yesno(at_most_once), dots, yesno(calls > 10));
	CHECK(once && at_most_once && dots == 2 && calls > 10, "stable offsets");
	for (int i = 0; i < 100; i += 2) {
		snprintf(name, sizeof name, "many/e%03d", i);
		CHECK(unlink(name) == 0, "unlink even entry");
	}
	CHECK(rmdir("many") == 0, "rmdir many");

	/* chdir, fchdir, getcwd. */
	char top[4096], cwd[4096];
	CHECK(getcwd(top, sizeof top) != NULL, "getcwd");
	int topfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(topfd >= 0, "open .");
	CHECK(chdir("a/c") == 0 && getcwd(cwd, sizeof cwd) != NULL, "chdir a/c");
	say("chdir a/c: getcwd absolute %s, ends with /a/c %s", yesno(cwd[0] == '/'), ends_with(cwd, "/a/c"));
	CHECK(cwd[0] == '/' && strcmp(ends_with(cwd, "/a/c"), "yes") == 0, "getcwd a/c");
	CHECK(chdir("..") == 0 && getcwd(cwd, sizeof cwd) != NULL, "chdir ..");
	say("chdir ..: ends with /a %s", ends_with(cwd, "/a"));
	CHECK(strcmp(ends_with(cwd, "/a"), "yes") == 0, "getcwd a");
	CHECK(fchdir(topfd) == 0 && getcwd(cwd, sizeof cwd) != NULL, "fchdir");
	say("fchdir back: getcwd as before %s", yesno(strcmp(cwd, top) == 0));
	CHECK(strcmp(cwd, top) == 0, "fchdir getcwd");
	CHECK(symlink("a/c", "clink") == 0 && chdir("clink") == 0 && getcwd(cwd, sizeof cwd) != NULL, "chdir clink");
	say("chdir through a symlink: getcwd shows the real path (ends with /a/c) %s", ends_with(cwd, "/a/c"));
	CHECK(strcmp(ends_with(cwd, "/a/c"), "yes") == 0, "getcwd through a symlink");
	CHECK(fchdir(topfd) == 0 && unlink("clink") == 0, "back from clink");
	FAILS_WITH(chdir("file"), ENOTDIR, "chdir to a file");
	FAILS_WITH(chdir("missing"), ENOENT, "chdir to a missing name");
	ffd = open("file", O_RDONLY);
	FAILS_WITH(fchdir(ffd), ENOTDIR, "fchdir to a file");
	close(ffd);
	FAILS_WITH(fchdir(-1), EBADF, "fchdir to a bad descriptor");
	char tiny[4];
	errno = 0;
	char *gr = getcwd(tiny, sizeof tiny);
	say("getcwd into 4 bytes: %s", gr == NULL ? ctest_errname(errno) : "succeeded");
	CHECK(gr == NULL && errno == ERANGE, "getcwd ERANGE");

	/* The cwd's ancestor renamed under us. */
	CHECK(mkdir("r1", 0755) == 0 && mkdir("r1/r2", 0755) == 0 && chdir("r1/r2") == 0, "chdir r1/r2");
	CHECK(rename("../../r1", "../../q1") == 0, "rename the cwd's parent");
	CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd after rename");
	say("getcwd after the cwd's parent is renamed: ends with /q1/r2 %s", ends_with(cwd, "/q1/r2"));
	CHECK(strcmp(ends_with(cwd, "/q1/r2"), "yes") == 0, "getcwd renamed");
	CHECK(fchdir(topfd) == 0 && rmdir("q1/r2") == 0 && rmdir("q1") == 0, "clean q1");

	/* A directory emptied while open lists only "." and "..". */
	CHECK(mkdir("e", 0755) == 0, "mkdir e");
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "e/x%d", i);
		CHECK(close(open(name, O_WRONLY | O_CREAT, 0644)) == 0, "create e/x");
	}
	dp = opendir("e");
	CHECK(dp != NULL && readdir(dp) != NULL, "opendir e");
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "e/x%d", i);
		CHECK(unlink(name) == 0, "unlink e/x");
	}
	rewinddir(dp);
	int left = 0, dotsonly = 1;
	while ((de = readdir(dp)) != NULL) {
		left++;
		dotsonly &= strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	}
	say("emptied while open, after rewinddir: %d entries, only dots %s", left, yesno(dotsonly));
	CHECK(left == 2 && dotsonly, "emptied");
	closedir(dp);
	CHECK(rmdir("e") == 0, "rmdir e");

	/* The cwd removed under us. */
	CHECK(mkdir("gone", 0755) == 0 && chdir("gone") == 0, "chdir gone");
	CHECK(rmdir("../gone") == 0, "rmdir the cwd");
	errno = 0;
	gr = getcwd(cwd, sizeof cwd);
	say("getcwd in a removed directory: %s", gr == NULL ? ctest_errname(errno) : "succeeded");
	CHECK(gr == NULL && errno == ENOENT, "getcwd ENOENT");
	CHECK(stat(".", &st) == 0, "stat . removed");
	say("stat of the removed cwd: nlink %d", (int)st.st_nlink);
	CHECK(st.st_nlink == 0, "nlink 0");
	FAILS_WITH(open("x", O_WRONLY | O_CREAT, 0644), ENOENT, "creating in a removed directory");
	FAILS_WITH(mkdir("x", 0755), ENOENT, "mkdir in a removed directory");
	int gfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(gfd >= 0, "open removed .");
	FAILS_WITH(syscall(SYS_getdents64, gfd, big, sizeof big), ENOENT, "getdents64 of a removed directory");
	close(gfd);
	say("\"..\" of the removed cwd is the old parent: %s", yesno(same("..", top)));
	CHECK(same("..", top), "dotdot of removed");
	CHECK(fchdir(topfd) == 0, "fchdir top");
	close(topfd);

	/* Clean up. */
	close(afd);
	CHECK(unlink("a/f") == 0 && rmdir("a/c") == 0 && rmdir("a") == 0, "clean a");
	CHECK(unlink("file") == 0 && unlink("dangling") == 0 && unlink("blink") == 0, "clean files");
	return ctest_ok();
}

/* fs-open: open, openat and creat on a writable file system. Usage:
 *   fs-open DIR
 * DIR is a writable, empty directory (a tmpfs); everything is made under
 * it and removed again. Checks O_CREAT (and the umask), O_EXCL (also on a
 * dangling symlink), O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW,
 * O_CLOEXEC, O_PATH, O_TMPFILE with linkat(AT_EMPTY_PATH), creat, openat's
 * dirfd rules, and the ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG, ELOOP and
 * EBADF cases. */
#include "ctest.h"
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static off_t size_of(const char *path)
{
	struct stat st;
	CHECK(stat(path, &st) == 0, "stat");
	return st.st_size;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, text, strlen(text)) == 0 && close(fd) == 0, "put");
}

/* The whole file as a string (small files only). */
static const char *get(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open for get");
	ssize_t n = read_full(fd, buf, sizeof buf - 1);
	CHECK(n >= 0 && close(fd) == 0, "read for get");
	buf[n] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	/* Run again by exec with "--probe A B": exit 3 when descriptor A
	 * (opened with O_CLOEXEC) is closed and B is still open. */
	if (argc == 4 && strcmp(argv[1], "--probe") == 0) {
		int a = atoi(argv[2]), b = atoi(argv[3]);
		int closed = fcntl(a, F_GETFD) == -1 && errno == EBADF;
		return closed | (fcntl(b, F_GETFD) == 0) << 1;
	}
	ctest_start("fs-open");
	CHECK(argc == 2, "usage: fs-open DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	struct stat st;

	/* O_CREAT and the umask. */
	mode_t old = umask(022);
	(void)old;
	int fd = open("f", O_WRONLY | O_CREAT, 0666);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_CREAT");
	say("O_CREAT 0666 under umask 022: mode %o, regular %s, size %lld",
	    (unsigned)(st.st_mode & 07777), yesno(S_ISREG(st.st_mode)), (long long)st.st_size);
	CHECK((st.st_mode & 07777) == 0644 && S_ISREG(st.st_mode) && st.st_size == 0, "mode 0644");
	CHECK(close(fd) == 0, "close");
	umask(077);
	fd = open("g", O_RDWR | O_CREAT, 0777);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_CREAT g");
	say("O_CREAT 0777 under umask 077: mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 0700, "mode 0700");
	close(fd);
	umask(0);
	fd = open("h", O_RDWR | O_CREAT, 04755);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_CREAT h");
	say("O_CREAT 04755 under umask 0: mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 04755, "mode 04755");
	close(fd);
	umask(022);
	fd = open("f", O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_CREAT of an existing file");
	say("O_CREAT of an existing file keeps its mode: %s", yesno((st.st_mode & 07777) == 0644));
	CHECK((st.st_mode & 07777) == 0644, "mode kept");
	close(fd);

	/* O_EXCL. */
	FAILS_WITH(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_EXCL on an existing file");
	CHECK(symlink("target", "dangling") == 0, "symlink dangling");
	FAILS_WITH(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST,
		   "O_EXCL on a dangling symlink");
	FAILS_WITH(access("target", F_OK), ENOENT, "the symlink's target after O_EXCL");
	fd = open("dangling", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "O_CREAT through a dangling symlink");
	close(fd);
	CHECK(lstat("target", &st) == 0, "lstat target");
	say("O_CREAT through a dangling symlink creates its target: %s", yesno(S_ISREG(st.st_mode)));
	CHECK(S_ISREG(st.st_mode), "target created");
	fd = open("excl", O_WRONLY | O_CREAT | O_EXCL, 0644);
	say("O_EXCL of a new name: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "O_EXCL new");
	close(fd);

	/* O_TRUNC. */
	put("f", "hello world");
	fd = open("f", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0, "O_TRUNC");
	say("O_TRUNC|O_WRONLY: size %lld", (long long)size_of("f"));
	CHECK(size_of("f") == 0, "truncated");
	close(fd);
	put("f", "hello world");
	fd = open("f", O_RDONLY | O_TRUNC);
	CHECK(fd >= 0, "O_TRUNC|O_RDONLY");
	say("O_TRUNC|O_RDONLY: size %lld", (long long)size_of("f"));
	CHECK(size_of("f") == 0, "truncated read-only");
	close(fd);
	put("f", "hello world");
	fd = open("f", O_RDWR);
	CHECK(fd >= 0, "open without O_TRUNC");
	say("open without O_TRUNC: size %lld", (long long)size_of("f"));
	CHECK(size_of("f") == 11, "kept");
	close(fd);

	/* O_APPEND: every write goes to the end, even after lseek (and,
	 * on Linux, pwrite too). */
	put("f", "abc");
	fd = open("f", O_WRONLY | O_APPEND);
	CHECK(fd >= 0, "O_APPEND");
	CHECK(lseek(fd, 0, SEEK_CUR) == 0, "O_APPEND starts at 0");
	CHECK(lseek(fd, 1, SEEK_SET) == 1 && write(fd, "de", 2) == 2, "write after lseek");
	off_t pos = lseek(fd, 0, SEEK_CUR);
	CHECK(pwrite(fd, "X", 1, 0) == 1, "pwrite O_APPEND");
	off_t pos2 = lseek(fd, 0, SEEK_CUR);
	close(fd);
	say("O_APPEND: after lseek(1)+write \"de\" offset %lld; after pwrite(0) offset %lld; file \"%s\"",
	    (long long)pos, (long long)pos2, get("f"));
	CHECK(pos == 5 && pos2 == 5 && strcmp(get("f"), "abcdeX") == 0, "O_APPEND contents");
	fd = open("f", O_RDWR | O_APPEND);
	char c2[4] = { 0 };
	CHECK(fd >= 0 && read(fd, c2, 3) == 3 && write(fd, "Y", 1) == 1, "O_APPEND read+write");
	say("O_APPEND|O_RDWR reads from 0 (\"%s\"), then writes at the end: \"%s\"", c2, get("f"));
	CHECK(strcmp(c2, "abc") == 0 && strcmp(get("f"), "abcdeXY") == 0, "O_APPEND rdwr");
	int fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_APPEND) == 0, "clear O_APPEND");
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "Z", 1) == 1, "write at 0");
	say("after F_SETFL clears O_APPEND, a write at 0: \"%s\"", get("f"));
	CHECK(strcmp(get("f"), "ZbcdeXY") == 0, "F_SETFL O_APPEND");
	close(fd);

	/* Access modes. */
	fd = open("f", O_RDONLY);
	CHECK(fd >= 0, "O_RDONLY");
	FAILS_WITH(write(fd, "x", 1), EBADF, "write to an O_RDONLY descriptor");
	close(fd);
	fd = open("f", O_WRONLY);
	CHECK(fd >= 0, "O_WRONLY");
	FAILS_WITH(read(fd, c2, 1), EBADF, "read from an O_WRONLY descriptor");
	fl = fcntl(fd, F_GETFL);
	say("F_GETFL of O_WRONLY: access mode O_WRONLY %s", yesno((fl & O_ACCMODE) == O_WRONLY));
	CHECK((fl & O_ACCMODE) == O_WRONLY, "F_GETFL");
	close(fd);

	/* creat. */
	put("f", "old contents");
	fd = creat("f", 0600);
	CHECK(fd >= 0, "creat existing");
	fl = fcntl(fd, F_GETFL);
	say("creat of an existing file: size %lld, write-only %s", (long long)size_of("f"),
	    yesno((fl & O_ACCMODE) == O_WRONLY));
	CHECK(size_of("f") == 0 && (fl & O_ACCMODE) == O_WRONLY, "creat");
	close(fd);
	fd = creat("c", 0640);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "creat new");
	say("creat of a new file 0640: mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 0640, "creat mode");
	close(fd);

	/* O_DIRECTORY. */
	CHECK(mkdir("d", 0755) == 0, "mkdir d");
	FAILS_WITH(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file");
	fd = open("d", O_RDONLY | O_DIRECTORY);
	say("O_DIRECTORY on a directory: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "O_DIRECTORY");
	close(fd);
	CHECK(symlink("d", "dlink") == 0, "symlink dlink");
	fd = open("dlink", O_RDONLY | O_DIRECTORY);
	say("O_DIRECTORY through a symlink to a directory: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "O_DIRECTORY symlink");
	close(fd);
	FAILS_WITH(open("nothere", O_RDONLY | O_DIRECTORY), ENOENT, "O_DIRECTORY on a missing name");
	/* Linux 6.4 and later refuse the pair outright. */
	FAILS_WITH(open("nothere", O_RDWR | O_CREAT | O_DIRECTORY, 0644), EINVAL, "O_CREAT|O_DIRECTORY");
	FAILS_WITH(access("nothere", F_OK), ENOENT, "the name after O_CREAT|O_DIRECTORY");

	/* Directories: no writing, no O_CREAT. */
	FAILS_WITH(open("d", O_WRONLY), EISDIR, "O_WRONLY on a directory");
	FAILS_WITH(open("d", O_RDWR), EISDIR, "O_RDWR on a directory");
	FAILS_WITH(open("d", O_RDONLY | O_CREAT, 0644), EISDIR, "O_CREAT on an existing directory");
	FAILS_WITH(open("d", O_RDONLY | O_TRUNC), EISDIR, "O_TRUNC on a directory");
	FAILS_WITH(open("newname/", O_RDWR | O_CREAT, 0644), EISDIR, "O_CREAT of a new name with a trailing slash");
	FAILS_WITH(access("newname", F_OK), ENOENT, "that name afterwards");
	fd = open("d/", O_RDONLY);
	say("open of \"d/\": %s", yesno(fd >= 0));
	CHECK(fd >= 0, "d/");
	close(fd);

	/* O_NOFOLLOW. */
	CHECK(symlink("f", "flink") == 0, "symlink flink");
	FAILS_WITH(open("flink", O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a final symlink");
	FAILS_WITH(open("dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), ELOOP,
		   "O_CREAT|O_NOFOLLOW on a symlink");
	fd = open("dlink/../f", O_RDONLY | O_NOFOLLOW);
	say("O_NOFOLLOW with a symlink before the last component: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "O_NOFOLLOW middle");
	close(fd);
	fd = open("flink", O_PATH | O_NOFOLLOW);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_PATH|O_NOFOLLOW");
	say("O_PATH|O_NOFOLLOW on a symlink opens the link: %s", yesno(S_ISLNK(st.st_mode)));
	CHECK(S_ISLNK(st.st_mode), "O_PATH symlink");
	close(fd);

	/* O_CLOEXEC. */
	fd = open("f", O_RDONLY | O_CLOEXEC);
	int fdn = open("f", O_RDONLY);
	CHECK(fd >= 0 && fdn >= 0, "open cloexec");
	int f1 = fcntl(fd, F_GETFD), f2 = fcntl(fdn, F_GETFD);
	say("FD_CLOEXEC with O_CLOEXEC: %s, without: %s", yesno(f1 & FD_CLOEXEC), yesno(f2 & FD_CLOEXEC));
	CHECK(f1 == FD_CLOEXEC && f2 == 0, "FD_CLOEXEC");
	fl = fcntl(fd, F_GETFL);
	say("O_CLOEXEC shows in F_GETFL: %s", yesno(fl & O_CLOEXEC));
	CHECK(!(fl & O_CLOEXEC), "F_GETFL without O_CLOEXEC");
	char self[4096], as[16], bs[16];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	CHECK(sl > 0, "readlink /proc/self/exe");
	self[sl] = 0;
	snprintf(as, sizeof as, "%d", fd);
	snprintf(bs, sizeof bs, "%d", fdn);
	pid_t pid = xfork();
	if (pid == 0) {
		execl(self, self, "--probe", as, bs, (char *)NULL);
		_exit(100);
	}
	int pst = wait_for(pid);
	say("across execve: the O_CLOEXEC descriptor is closed and the other open: %s",
	    yesno(WIFEXITED(pst) && WEXITSTATUS(pst) == 3));
	CHECK(WIFEXITED(pst) && WEXITSTATUS(pst) == 3, "cloexec across exec");
	close(fd);
	close(fdn);

	/* O_PATH. */
	put("f", "path");
	fd = open("f", O_PATH);
	CHECK(fd >= 0, "O_PATH");
	CHECK(fstat(fd, &st) == 0, "fstat O_PATH");
	say("O_PATH: fstat works, size %lld", (long long)st.st_size);
	CHECK(st.st_size == 4, "O_PATH size");
	FAILS_WITH(read(fd, c2, 1), EBADF, "read of an O_PATH descriptor");
	FAILS_WITH(write(fd, "x", 1), EBADF, "write of an O_PATH descriptor");
	FAILS_WITH(syscall(SYS_fchmod, fd, 0600), EBADF, "the fchmod system call on an O_PATH descriptor");
	/* musl's fchmod retries EBADF through /proc/self/fd/N. */
	CHECK(fchmod(fd, 0600) == 0 && fstat(fd, &st) == 0, "musl fchmod of an O_PATH descriptor");
	say("musl's fchmod of an O_PATH descriptor (through /proc/self/fd): mode %o",
	    (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 0600, "fchmod through /proc");
	CHECK(fstatat(fd, "", &st, AT_EMPTY_PATH) == 0, "fstatat AT_EMPTY_PATH");
	say("fstatat(O_PATH fd, \"\", AT_EMPTY_PATH): size %lld", (long long)st.st_size);
	CHECK(st.st_size == 4, "fstatat size");
	fl = fcntl(fd, F_GETFL);
	say("F_GETFL of an O_PATH descriptor has O_PATH: %s", yesno(fl & O_PATH));
	CHECK(fl & O_PATH, "O_PATH flag");
	close(fd);
	int dfd = open("d", O_PATH | O_DIRECTORY);
	CHECK(dfd >= 0, "O_PATH dir");
	fd = openat(dfd, "in", O_RDWR | O_CREAT, 0644);
	say("openat with an O_PATH directory descriptor: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "openat O_PATH dir");
	close(fd);

	/* openat. */
	CHECK(close(dfd) == 0, "close");
	dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open d");
	fd = openat(dfd, "in", O_RDONLY);
	say("openat(d, \"in\") finds the file: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "openat");
	close(fd);
	fd = openat(dfd, "../f", O_RDONLY);
	say("openat(d, \"../f\"): %s", yesno(fd >= 0));
	CHECK(fd >= 0, "openat ..");
	close(fd);
	fd = openat(AT_FDCWD, "d/in", O_RDONLY);
	say("openat(AT_FDCWD, \"d/in\"): %s", yesno(fd >= 0));
	CHECK(fd >= 0, "openat AT_FDCWD");
	close(fd);
	int ffd = open("f", O_RDONLY);
	CHECK(ffd >= 0, "open f");
	FAILS_WITH(openat(ffd, "x", O_RDONLY), ENOTDIR, "openat with a file as dirfd");
	FAILS_WITH(openat(9999, "x", O_RDONLY), EBADF, "openat with a closed dirfd");
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
	char abs[4200];
	snprintf(abs, sizeof abs, "%s/f", cwd);
	fd = openat(9999, abs, O_RDONLY);
	say("openat with a closed dirfd and an absolute path: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "absolute ignores dirfd");
	close(fd);
	close(ffd);
	close(dfd);

	/* O_TMPFILE. */
	fd = open(".", O_TMPFILE | O_RDWR, 0600);
	CHECK(fd >= 0, "O_TMPFILE");
	CHECK(fstat(fd, &st) == 0, "fstat tmpfile");
	say("O_TMPFILE: regular %s, nlink %d, mode %o", yesno(S_ISREG(st.st_mode)),
	    (int)st.st_nlink, (unsigned)(st.st_mode & 07777));
	CHECK(S_ISREG(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0600, "tmpfile stat");
	CHECK(write_all(fd, "unnamed", 7) == 0, "write tmpfile");
	char tb[16] = { 0 };
	CHECK(pread(fd, tb, sizeof tb, 0) == 7, "pread tmpfile");
	say("O_TMPFILE reads back \"%s\"", tb);
	CHECK(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH) == 0, "linkat AT_EMPTY_PATH");
	CHECK(fstat(fd, &st) == 0, "fstat linked");
	say("after linkat(AT_EMPTY_PATH): nlink %d, the name reads \"%s\"", (int)st.st_nlink, get("named"));
	CHECK(st.st_nlink == 1 && strcmp(get("named"), "unnamed") == 0, "linked tmpfile");
	close(fd);
	umask(077);
	fd = open(".", O_TMPFILE | O_RDWR, 0666);
	CHECK(fd >= 0 && fstat(fd, &st) == 0, "O_TMPFILE umask");
	say("O_TMPFILE 0666 under umask 077: mode %o", (unsigned)(st.st_mode & 07777));
	CHECK((st.st_mode & 07777) == 0600, "tmpfile umask");
	close(fd);
	umask(022);
	fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	CHECK(fd >= 0, "O_TMPFILE|O_EXCL");
	FAILS_WITH(linkat(fd, "", AT_FDCWD, "named2", AT_EMPTY_PATH), ENOENT,
		   "linkat of an O_TMPFILE|O_EXCL file");
	close(fd);
	FAILS_WITH(open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL, "O_TMPFILE|O_RDONLY");
	FAILS_WITH(open("f", O_TMPFILE | O_RDWR, 0600), ENOTDIR, "O_TMPFILE on a file");
	FAILS_WITH(open("nothere", O_TMPFILE | O_RDWR, 0600), ENOENT, "O_TMPFILE in a missing directory");
	fd = open("d", O_TMPFILE | O_WRONLY, 0644);
	CHECK(fd >= 0, "O_TMPFILE in d");
	int cnt = 0;
	{
		int df = open("d", O_RDONLY | O_DIRECTORY);
		char buf[1024];
		long n;
		CHECK(df >= 0, "open d");
		while ((n = syscall(SYS_getdents64, df, buf, sizeof buf)) > 0)
			for (long o = 0; o < n;) {
				unsigned short rl;
				memcpy(&rl, buf + o + 16, 2);
				cnt++;
				o += rl;
			}
		close(df);
	}
	say("an O_TMPFILE file is not listed: %d entries in d", cnt);
	CHECK(cnt == 3, "unlisted");
	close(fd);

	/* ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP. */
	FAILS_WITH(open("missing", O_RDONLY), ENOENT, "open of a missing name");
	FAILS_WITH(open("missing/f", O_RDWR | O_CREAT, 0644), ENOENT, "O_CREAT under a missing directory");
	FAILS_WITH(open("", O_RDONLY), ENOENT, "open of \"\"");
	FAILS_WITH(open("f/", O_RDONLY), ENOTDIR, "a file with a trailing slash");
	FAILS_WITH(open("f/x", O_RDONLY), ENOTDIR, "a name under a file");
	FAILS_WITH(open("f/x", O_RDWR | O_CREAT, 0644), ENOTDIR, "O_CREAT under a file");
	FAILS_WITH(open("flink/", O_RDONLY), ENOTDIR, "a symlink to a file with a trailing slash");
	FAILS_WITH(open("f/.", O_RDONLY), ENOTDIR, "\"f/.\" of a file");
	FAILS_WITH(open("f/", O_RDWR | O_CREAT, 0644), EISDIR, "O_CREAT of an existing file with a trailing slash");
	FAILS_WITH(open("flink", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "O_EXCL on a symlink to a file");
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = 0;
	FAILS_WITH(open(longname, O_RDWR | O_CREAT, 0644), ENAMETOOLONG, "a 256-byte component");
	longname[255] = 0;
	fd = open(longname, O_RDWR | O_CREAT, 0644);
	say("a 255-byte component: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "255");
	close(fd);
	CHECK(unlink(longname) == 0, "unlink long");
	static char longpath[5000];
	for (int i = 0; i < 2500; i++) {
		longpath[2 * i] = '.';
		longpath[2 * i + 1] = '/';
	}
	longpath[4999] = 0;
	longpath[4998] = 'f';
	FAILS_WITH(open(longpath, O_RDONLY), ENAMETOOLONG, "a path of 4999 bytes");
	longpath[4094] = 'f';
	longpath[4095] = 0;
	fd = open(longpath + 0, O_RDONLY);
	say("a path of 4095 bytes: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "4095");
	close(fd);
	CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0, "loop symlinks");
	FAILS_WITH(open("loop1", O_RDONLY), ELOOP, "a symlink loop");
	FAILS_WITH(open("loop1", O_RDWR | O_CREAT, 0644), ELOOP, "O_CREAT on a symlink loop");
	CHECK(symlink("self", "self") == 0, "self symlink");
	FAILS_WITH(open("self/x", O_RDONLY), ELOOP, "a self-loop in the middle of a path");
	char chain[16], next[16];
	for (int i = 0; i < 41; i++) {
		snprintf(chain, sizeof chain, "ch%d", i);
		snprintf(next, sizeof next, i == 40 ? "f" : "ch%d", i + 1);
		CHECK(symlink(next, chain) == 0, "chain symlink");
	}
	fd = open("ch1", O_RDONLY);
	say("a chain of 40 symlinks: %s", yesno(fd >= 0));
	CHECK(fd >= 0, "40 links");
	close(fd);
	FAILS_WITH(open("ch0", O_RDONLY), ELOOP, "a chain of 41 symlinks");

	/* F_GETFL shows O_LARGEFILE (musl asks for it; 64-bit kernels force it). */
	fd = open("f", O_RDONLY);
	CHECK(fd >= 0, "open f");
	fl = fcntl(fd, F_GETFL);
	say("F_GETFL of a plain O_RDONLY open has O_LARGEFILE: %s", yesno(fl & O_LARGEFILE));
	CHECK(fl & O_LARGEFILE, "O_LARGEFILE");
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0, "F_SETFL O_NONBLOCK");
	say("F_SETFL O_NONBLOCK on a file shows in F_GETFL: %s; reads still work: %s", yesno(fcntl(fd, F_GETFL) & O_NONBLOCK),
	    yesno(read(fd, c2, 1) == 1));
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK");
	close(fd);

	/* RLIMIT_NOFILE: EMFILE. */
	struct rlimit rl, low;
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	low = (struct rlimit){ 16, rl.rlim_max };
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit");
	int fds[32], nf = 0, lowest_free = -1;
	for (int i = 0; i < 16; i++)
		if (fcntl(i, F_GETFD) == -1) {
			lowest_free = i;
			break;
		}
	for (; nf < 32; nf++) {
		fds[nf] = open("f", O_RDONLY);
		if (fds[nf] < 0)
			break;
	}
	int emfile = errno == EMFILE;
	say("with RLIMIT_NOFILE 16, opens stop with EMFILE: %s, the last descriptor was 15: %s", yesno(emfile),
	    yesno(nf > 0 && fds[nf - 1] == 15));
	CHECK(emfile && nf > 0 && fds[nf - 1] == 15, "EMFILE");
	say("the first open took the lowest free descriptor: %s", yesno(fds[0] == lowest_free));
	CHECK(fds[0] == lowest_free, "lowest fd");
	CHECK(close(fds[3]) == 0, "close one");
	fd = open("f", O_RDONLY);
	say("after closing one, the next open reuses it: %s", yesno(fd == fds[3]));
	CHECK(fd == fds[3], "reuse");
	for (int i = 0; i < nf; i++)
		close(fds[i]);
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "restore rlimit");

	/* Clean up. */
	for (int i = 0; i < 41; i++) {
		snprintf(chain, sizeof chain, "ch%d", i);
		CHECK(unlink(chain) == 0, "unlink chain");
	}
	const char *names[] = { "f", "g", "h", "dangling", "target", "excl", "c", "dlink", "flink",
				"named", "loop1", "loop2", "self", "d/in" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(unlink(names[i]) == 0, names[i]);
	CHECK(rmdir("d") == 0, "rmdir d");
	return ctest_ok();
}

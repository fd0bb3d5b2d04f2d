/* files: reading files, directories and links. Usage:
 *   files MOTD DIR CREATE
 * MOTD holds exactly "Welcome to ExoV6, an exokernel in Rust.\n" (in ExoV6
 * /etc/motd), DIR is the directory holding the test programs, this one
 * among them as "files" (in ExoV6 /ctests), and CREATE is a path whose
 * creation must be refused even to root (a name under /proc; only the
 * refusal is printed).
 * Checks open/read/readv/pread/lseek/close, fstat/stat/fstatat/statx,
 * openat, getdents64 and readdir, readlink("/proc/self/exe"),
 * access/faccessat, getcwd/chdir/fchdir, ENOENT/ENOTDIR/EISDIR/EBADF,
 * and uname. */
#include "ctest.h"
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>

static const char MOTD[] = "Welcome to ExoV6, an exokernel in Rust.\n";

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static const char *err_name(int r, int want, const char *name)
{
	return r == -1 && errno == want ? name : "wrong";
}

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int main(int argc, char **argv)
{
	ctest_start("files");
	CHECK(argc == 4, "usage: files MOTD DIR CREATE");
	const char *motd = argv[1], *dir = argv[2], *create = argv[3];
	const size_t len = sizeof MOTD - 1;

	/* open, read, fstat, stat. */
	int fd = open(motd, O_RDONLY);
	CHECK(fd >= 0, "open motd");
	char buf[128] = { 0 };
	ssize_t n = read_full(fd, buf, sizeof buf - 1);
	say("motd: %zd bytes: %.*s", n, (int)(n > 0 ? n - 1 : 0), buf);
	CHECK(n == (ssize_t)len && memcmp(buf, MOTD, len) == 0, "motd contents");
	CHECK(read(fd, buf, 1) == 0, "read at EOF gives 0");
	struct stat fs, ps;
	CHECK(fstat(fd, &fs) == 0 && stat(motd, &ps) == 0, "fstat and stat");
	say("fstat: regular %s, size %lld; stat agrees: %s",
	    yesno(S_ISREG(fs.st_mode)), (long long)fs.st_size,
	    yesno(same_file(&fs, &ps) && ps.st_size == fs.st_size));
	CHECK(S_ISREG(fs.st_mode) && fs.st_size == (off_t)len &&
		      same_file(&fs, &ps),
	      "stat");

	/* lseek, pread, readv. */
	off_t end = lseek(fd, 0, SEEK_END);
	off_t set = lseek(fd, 11, SEEK_SET);
	memset(buf, 0, sizeof buf);
	CHECK(read(fd, buf, 5) == 5, "read after lseek");
	off_t cur = lseek(fd, 0, SEEK_CUR);
	say("lseek: SEEK_END %lld, SEEK_SET %lld then read \"%s\", SEEK_CUR %lld",
	    (long long)end, (long long)set, buf, (long long)cur);
	CHECK(end == (off_t)len && set == 11 && strcmp(buf, "ExoV6") == 0 &&
		      cur == 16,
	      "lseek");
	errno = 0;
	off_t neg = lseek(fd, -100, SEEK_SET);
	say("lseek to a negative offset: %s", err_name((int)neg, EINVAL, "EINVAL"));
	CHECK(neg == -1 && errno == EINVAL, "lseek EINVAL");
	memset(buf, 0, sizeof buf);
	n = pread(fd, buf, 9, 21);
	say("pread 9 at 21: \"%s\", offset unchanged: %s", buf,
	    yesno(lseek(fd, 0, SEEK_CUR) == 16));
	CHECK(n == 9 && strcmp(buf, "exokernel") == 0 &&
		      lseek(fd, 0, SEEK_CUR) == 16,
	      "pread");
	char a[8] = { 0 }, b[8] = { 0 };
	struct iovec iov[2] = { { a, 7 }, { b, 3 } };
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	n = readv(fd, iov, 2);
	say("readv 7+3: \"%s\" \"%s\"", a, b);
	CHECK(n == 10 && strcmp(a, "Welcome") == 0 && strcmp(b, " to") == 0,
	      "readv");
	CHECK(close(fd) == 0, "close");
	errno = 0;
	n = read(fd, buf, 1);
	say("read after close: %s", err_name((int)n, EBADF, "EBADF"));
	CHECK(n == -1 && errno == EBADF, "EBADF");

	/* The directory: openat, fstatat, statx, getdents64, readdir. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open DIR");
	struct stat ds;
	CHECK(fstat(dfd, &ds) == 0 && S_ISDIR(ds.st_mode), "DIR is a directory");
	errno = 0;
	n = read(dfd, buf, 1);
	say("read of a directory: %s", err_name((int)n, EISDIR, "EISDIR"));
	CHECK(n == -1 && errno == EISDIR, "EISDIR");
	struct stat self;
	CHECK(fstatat(dfd, "files", &self, 0) == 0, "fstatat files");
	say("fstatat(DIR, \"files\"): regular and executable: %s",
	    yesno(S_ISREG(self.st_mode) && (self.st_mode & 0111)));
	CHECK(S_ISREG(self.st_mode) && (self.st_mode & 0111), "fstatat");
	int ffd = openat(dfd, "files", O_RDONLY);
	char elf[4] = { 0 };
	CHECK(ffd >= 0 && read(ffd, elf, 4) == 4, "openat files");
	say("openat(DIR, \"files\") reads an ELF header: %s",
	    yesno(memcmp(elf, "\177ELF", 4) == 0));
	CHECK(memcmp(elf, "\177ELF", 4) == 0, "ELF magic");
	close(ffd);
	unsigned char sx[256];
	memset(sx, 0, sizeof sx);
	long sr = syscall(SYS_statx, AT_FDCWD, motd, 0, 0x7ffu, sx);
	uint16_t sx_mode;
	uint64_t sx_size;
	memcpy(&sx_mode, sx + 28, 2);
	memcpy(&sx_size, sx + 40, 8);
	say("statx: regular %s, size %llu", yesno(S_ISREG(sx_mode)),
	    (unsigned long long)sx_size);
	CHECK(sr == 0 && S_ISREG(sx_mode) && sx_size == len, "statx");

	char dents[8192];
	int found_self = 0, found_target = 0, found_dot = 0, found_dotdot = 0;
	int raw_count = 0, bad_type = 0;
	for (;;) {
		long got = syscall(SYS_getdents64, dfd, dents, sizeof dents);
		CHECK(got >= 0, "getdents64");
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct dirent64_raw *d = (void *)(dents + off);
			raw_count++;
			if (strcmp(d->d_name, "files") == 0) {
				found_self++;
				bad_type += d->d_type != DT_REG &&
					    d->d_type != DT_UNKNOWN;
			}
			found_target += strcmp(d->d_name, "exec-target") == 0;
			if (strcmp(d->d_name, ".") == 0) {
				found_dot++;
				bad_type += d->d_type != DT_DIR &&
					    d->d_type != DT_UNKNOWN;
			}
			found_dotdot += strcmp(d->d_name, "..") == 0;
			off += d->d_reclen;
		}
	}
	say("getdents64 of DIR: \".\" %d, \"..\" %d, \"files\" %d, "
	    "\"exec-target\" %d, types right: %s",
	    found_dot, found_dotdot, found_self, found_target,
	    yesno(bad_type == 0));
	CHECK(found_dot == 1 && found_dotdot == 1 && found_self == 1 &&
		      found_target == 1 && bad_type == 0,
	      "getdents64");
	close(dfd);
	DIR *dp = opendir(dir);
	CHECK(dp != NULL, "opendir");
	int rd_count = 0;
	while (readdir(dp))
		rd_count++;
	closedir(dp);
	say("readdir sees as many entries as getdents64: %s",
	    yesno(rd_count == raw_count));
	CHECK(rd_count == raw_count, "readdir");

	/* /proc/self/exe is this binary. */
	char exe[4096];
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	CHECK(n > 0, "readlink /proc/self/exe");
	exe[n] = 0;
	struct stat es;
	CHECK(stat(exe, &es) == 0, "stat of /proc/self/exe's target");
	say("/proc/self/exe: absolute %s, named \"%s\", is DIR/files: %s",
	    yesno(exe[0] == '/'), base(exe), yesno(same_file(&es, &self)));
	CHECK(exe[0] == '/' && strcmp(base(exe), "files") == 0 &&
		      same_file(&es, &self),
	      "/proc/self/exe");

	/* access. */
	char path[4096];
	snprintf(path, sizeof path, "%s/files", dir);
	int ar = access(motd, R_OK) == 0 && access(path, X_OK) == 0 &&
		 faccessat(AT_FDCWD, path, R_OK | X_OK, 0) == 0;
	errno = 0;
	int missing = access("/nonexistent/exov6", F_OK);
	say("access: motd readable, files executable: %s; missing: %s",
	    yesno(ar), err_name(missing, ENOENT, "ENOENT"));
	CHECK(ar && missing == -1 && errno == ENOENT, "access");

	/* getcwd, chdir, fchdir. */
	CHECK(chdir(dir) == 0, "chdir DIR");
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
	struct stat cs, dot;
	CHECK(stat(cwd, &cs) == 0 && stat(".", &dot) == 0, "stat cwd");
	int rel = open("files", O_RDONLY);
	say("chdir DIR: getcwd absolute %s and is DIR %s; relative open works %s",
	    yesno(cwd[0] == '/'), yesno(same_file(&cs, &ds) && same_file(&dot, &ds)),
	    yesno(rel >= 0));
	CHECK(cwd[0] == '/' && same_file(&cs, &ds) && same_file(&dot, &ds) &&
		      rel >= 0,
	      "chdir");
	close(rel);
	CHECK(chdir("/") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0,
	      "chdir /");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0 && fchdir(dfd) == 0 && stat(".", &dot) == 0 &&
		      same_file(&dot, &ds),
	      "fchdir");
	close(dfd);
	say("chdir(\"/\") then getcwd: \"/\"; fchdir back: yes");
	errno = 0;
	int c1 = chdir("/nonexistent/exov6");
	int e1 = errno;
	errno = 0;
	int c2 = chdir(motd);
	say("chdir to a missing path: %s, to a file: %s",
	    c1 == -1 && e1 == ENOENT ? "ENOENT" : "wrong",
	    err_name(c2, ENOTDIR, "ENOTDIR"));
	CHECK(c1 == -1 && e1 == ENOENT && c2 == -1 && errno == ENOTDIR,
	      "chdir errors");

	/* Missing paths and other errors. */
	errno = 0;
	int o1 = open("/nonexistent/exov6", O_RDONLY);
	int e_o1 = errno;
	struct stat st;
	errno = 0;
	int s1 = stat("/nonexistent/exov6", &st);
	int e_s1 = errno;
	snprintf(path, sizeof path, "%s/below", motd);
	errno = 0;
	int o2 = open(path, O_RDONLY);
	int e_o2 = errno;
	errno = 0;
	int o3 = open(motd, O_RDONLY | O_DIRECTORY);
	say("open missing: %s, stat missing: %s, a file as a directory: %s, "
	    "O_DIRECTORY on a file: %s",
	    o1 == -1 && e_o1 == ENOENT ? "ENOENT" : "wrong",
	    s1 == -1 && e_s1 == ENOENT ? "ENOENT" : "wrong",
	    o2 == -1 && e_o2 == ENOTDIR ? "ENOTDIR" : "wrong",
	    err_name(o3, ENOTDIR, "ENOTDIR"));
	CHECK(o1 == -1 && e_o1 == ENOENT && s1 == -1 && e_s1 == ENOENT &&
		      o2 == -1 && e_o2 == ENOTDIR && o3 == -1 && errno == ENOTDIR,
	      "error numbers");

	/* Creating a file is refused. */
	errno = 0;
	int cf = open(create, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	say("create refused: %s", yesno(cf < 0));
	if (cf >= 0) {
		close(cf);
		unlink(create);
	}
	CHECK(cf < 0, "creating a file on a read-only file system");

	/* uname. */
	struct utsname u;
	CHECK(uname(&u) == 0, "uname");
	say("uname: sysname set %s, release set %s, machine %s",
	    yesno(u.sysname[0] != 0), yesno(u.release[0] != 0), u.machine);
	CHECK(u.sysname[0] && u.release[0] && strcmp(u.machine, "x86_64") == 0,
	      "uname");

	return ctest_ok();
}

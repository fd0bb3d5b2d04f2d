/* fs-links: names on a tmpfs. Usage:
 *   fs-links DIR
 * DIR is a writable, empty directory on a tmpfs; everything is made under
 * it and removed again. Checks link/linkat, symlink/symlinkat,
 * readlink/readlinkat, lstat against stat, symlink loops, relative
 * symlink targets, unlink/unlinkat, an unlinked open file, and
 * rename/renameat/renameat2 with their errors. */
#include "ctest.h"
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static int nlink_of(const char *p)
{
	struct stat st;
	CHECK(lstat(p, &st) == 0, "lstat for nlink");
	return (int)st.st_nlink;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, text, strlen(text)) == 0 && close(fd) == 0, "put");
}

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

static int is_dir(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static long renameat2_(int ofd, const char *o, int nfd, const char *n, unsigned flags)
{
	return syscall(SYS_renameat2, ofd, o, nfd, n, flags);
}

int main(int argc, char **argv)
{
	ctest_start("fs-links");
	CHECK(argc == 2, "usage: fs-links DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	struct stat st, st2;
	char buf[256];

	/* link and linkat. */
	put("f", "file f");
	CHECK(link("f", "f2") == 0, "link");
	say("link: nlink of f %d, f2 reads \"%s\"", nlink_of("f"), get("f2"));
	CHECK(nlink_of("f") == 2 && strcmp(get("f2"), "file f") == 0, "link nlink");
	CHECK(stat("f", &st) == 0 && stat("f2", &st2) == 0, "stat links");
	say("both names are one inode: %s", yesno(st.st_ino == st2.st_ino));
	CHECK(st.st_ino == st2.st_ino, "same inode");
	CHECK(mkdir("d", 0755) == 0, "mkdir d");
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open d");
	CHECK(linkat(AT_FDCWD, "f", dfd, "f3", 0) == 0, "linkat");
	say("linkat into d: nlink %d", nlink_of("f"));
	CHECK(nlink_of("f") == 3, "nlink 3");
	FAILS_WITH(link("d", "d2"), EPERM, "link of a directory");
	FAILS_WITH(link("f", "f2"), EEXIST, "link onto an existing name");
	FAILS_WITH(link("missing", "x"), ENOENT, "link of a missing name");
	FAILS_WITH(link("f", "missing/x"), ENOENT, "link into a missing directory");
	FAILS_WITH(link("f", "f/x"), ENOTDIR, "link under a file");
	CHECK(symlink("f", "sl") == 0, "symlink sl");
	CHECK(link("sl", "sl-hard") == 0, "link of a symlink");
	say("link of a symlink links the symlink itself: %s", yesno(nlink_of("sl") == 2 && nlink_of("f") == 3));
	CHECK(nlink_of("sl") == 2 && nlink_of("f") == 3, "link symlink");
	CHECK(linkat(AT_FDCWD, "sl", AT_FDCWD, "sl-follow", AT_SYMLINK_FOLLOW) == 0, "linkat follow");
	say("linkat AT_SYMLINK_FOLLOW links the target: nlink of f %d", nlink_of("f"));
	CHECK(nlink_of("f") == 4, "follow");
	FAILS_WITH(linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x12345), EINVAL, "linkat with bad flags");

	/* symlink, readlink. */
	CHECK(symlinkat("some/where/else", dfd, "rel") == 0, "symlinkat");
	CHECK(lstat("d/rel", &st) == 0, "lstat d/rel");
	say("symlinkat: a symlink %s, size %lld, mode %o", yesno(S_ISLNK(st.st_mode)), (long long)st.st_size,
	    (unsigned)(st.st_mode & 07777));
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 15 && (st.st_mode & 07777) == 0777, "symlink stat");
	memset(buf, 'x', sizeof buf);
	ssize_t n = readlink("d/rel", buf, sizeof buf);
	say("readlink: %zd \"%.*s\", no NUL after: %s", n, (int)(n > 0 ? n : 0), buf, yesno(buf[n] == 'x'));
	CHECK(n == 15 && memcmp(buf, "some/where/else", 15) == 0 && buf[15] == 'x', "readlink");
	memset(buf, 'x', sizeof buf);
	n = readlinkat(dfd, "rel", buf, 4);
	say("readlinkat into 4 bytes: %zd \"%.4s\", no NUL: %s", n, buf, yesno(buf[4] == 'x'));
	CHECK(n == 4 && memcmp(buf, "some", 4) == 0 && buf[4] == 'x', "readlink truncated");
	FAILS_WITH(readlink("f", buf, sizeof buf), EINVAL, "readlink of a file");
	FAILS_WITH(readlink("d", buf, sizeof buf), EINVAL, "readlink of a directory");
	FAILS_WITH(readlink("missing", buf, sizeof buf), ENOENT, "readlink of a missing name");
	FAILS_WITH(syscall(SYS_readlink, "sl", buf, 0), EINVAL, "the readlink system call into 0 bytes");
	FAILS_WITH(symlink("x", "f"), EEXIST, "symlink onto an existing name");
	FAILS_WITH(symlink("", "empty"), ENOENT, "symlink with an empty target");
	FAILS_WITH(symlink("x", "missing/x"), ENOENT, "symlink in a missing directory");

	static char longt[4200], longr[4200];
	memset(longt, 'a', 4096);
	for (int i = 100; i < 4096; i += 100)
		longt[i] = '/';
	longt[4096] = 0;
	FAILS_WITH(symlink(longt, "long"), ENAMETOOLONG, "symlink with a 4096-byte target");
	longt[4095] = 0;
	CHECK(symlink(longt, "long") == 0, "symlink 4095");
	n = readlink("long", longr, sizeof longr);
	CHECK(lstat("long", &st) == 0, "lstat long");
	say("symlink with a 4095-byte target: readlink %zd, right %s, st_size %lld", n,
	    yesno(n == 4095 && memcmp(longr, longt, 4095) == 0), (long long)st.st_size);
	CHECK(n == 4095 && memcmp(longr, longt, 4095) == 0 && st.st_size == 4095, "long symlink");
	CHECK(unlink("long") == 0, "unlink long");

	/* lstat and stat. */
	CHECK(stat("sl", &st) == 0 && lstat("sl", &st2) == 0, "stat/lstat");
	say("stat of a symlink sees the file (regular %s, size %lld); lstat sees the link (%s, size %lld)",
	    yesno(S_ISREG(st.st_mode)), (long long)st.st_size, yesno(S_ISLNK(st2.st_mode)),
	    (long long)st2.st_size);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 6 && S_ISLNK(st2.st_mode) && st2.st_size == 1, "lstat");
	CHECK(fstatat(AT_FDCWD, "sl", &st2, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st2.st_mode), "fstatat nofollow");
	CHECK(symlink("nowhere", "dangling") == 0, "dangling");
	FAILS_WITH(stat("dangling", &st), ENOENT, "stat of a dangling symlink");
	say("lstat of a dangling symlink: %s", yesno(lstat("dangling", &st) == 0 && S_ISLNK(st.st_mode)));
	CHECK(lstat("dangling", &st) == 0 && S_ISLNK(st.st_mode), "lstat dangling");

	/* Loops and relative targets. */
	CHECK(symlink("lb", "la") == 0 && symlink("la", "lb") == 0, "loop");
	FAILS_WITH(stat("la", &st), ELOOP, "stat of a symlink loop");
	say("lstat of a symlink in a loop: %s", yesno(lstat("la", &st) == 0 && S_ISLNK(st.st_mode)));
	CHECK(lstat("la", &st) == 0 && S_ISLNK(st.st_mode), "lstat loop");
	CHECK(mkdir("d/sub", 0755) == 0, "mkdir d/sub");
	put("d/sub/target", "in sub");
	put("target", "at top");
	CHECK(symlink("sub/target", "d/rel2") == 0, "relative symlink");
	say("a relative symlink d/rel2 -> sub/target reads \"%s\"", get("d/rel2"));
	CHECK(strcmp(get("d/rel2"), "in sub") == 0, "relative from the link's dir");
	CHECK(symlink("../../target", "d/sub/up") == 0, "up symlink");
	say("d/sub/up -> ../../target reads \"%s\"", get("d/sub/up"));
	CHECK(strcmp(get("d/sub/up"), "at top") == 0, "dotdot relative");
	put("d/target", "in d");
	CHECK(symlink("d/sub", "dirlink") == 0, "dirlink");
	say("dirlink/../target (\"..\" after a symlink is the target's parent) reads \"%s\"", get("dirlink/../target"));
	CHECK(strcmp(get("dirlink/../target"), "in d") == 0, "dotdot after symlink");

	/* unlink and unlinkat. */
	FAILS_WITH(unlink("d"), EISDIR, "unlink of a directory");
	FAILS_WITH(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR, "unlinkat AT_REMOVEDIR of a file");
	FAILS_WITH(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR), ENOTEMPTY, "unlinkat AT_REMOVEDIR of a non-empty directory");
	FAILS_WITH(unlink("missing"), ENOENT, "unlink of a missing name");
	FAILS_WITH(unlink("f/"), ENOTDIR, "unlink of a file with a trailing slash");
	FAILS_WITH(unlinkat(AT_FDCWD, "f", 0x4000), EINVAL, "unlinkat with bad flags");
	CHECK(mkdir("empty", 0755) == 0 && unlinkat(AT_FDCWD, "empty", AT_REMOVEDIR) == 0, "unlinkat dir");
	say("unlinkat AT_REMOVEDIR of an empty directory: gone %s", yesno(!exists("empty")));
	CHECK(!exists("empty"), "unlinkat dir gone");
	CHECK(unlink("dirlink") == 0, "unlink dirlink");
	say("unlink of a symlink to a directory removes the link only: %s", yesno(is_dir("d/sub")));
	CHECK(is_dir("d/sub") && !exists("dirlink"), "unlink dirlink");
	CHECK(unlinkat(dfd, "f3", 0) == 0, "unlinkat f3");
	say("unlinkat(d, \"f3\"): nlink of f %d", nlink_of("f"));
	CHECK(nlink_of("f") == 3, "nlink after unlinkat");

	/* An open file outlives its last name. */
	int fd = open("f", O_RDWR);
	CHECK(fd >= 0, "open f");
	CHECK(unlink("f") == 0 && unlink("f2") == 0 && unlink("sl-follow") == 0, "unlink all names");
	CHECK(fstat(fd, &st) == 0, "fstat unlinked");
	say("after its last name goes: nlink %d, still readable: %s", (int)st.st_nlink,
	    yesno(pread(fd, buf, 6, 0) == 6 && memcmp(buf, "file f", 6) == 0));
	CHECK(st.st_nlink == 0, "nlink 0");
	CHECK(pwrite(fd, "more", 4, 6) == 4 && fstat(fd, &st) == 0, "write unlinked");
	memset(buf, 0, sizeof buf);
	CHECK(pread(fd, buf, sizeof buf, 0) == 10, "pread unlinked");
	say("and writable: size %lld, \"%s\"", (long long)st.st_size, buf);
	CHECK(st.st_size == 10 && strcmp(buf, "file fmore") == 0, "unlinked rw");
	FAILS_WITH(stat("sl", &st), ENOENT, "a symlink to the removed name");
	char fdpath[64], target[4096];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	n = readlink(fdpath, target, sizeof target - 1);
	CHECK(n > 0, "readlink /proc/self/fd");
	target[n] = 0;
	say("/proc/self/fd/N of the unlinked file: absolute %s, ends with \"/f (deleted)\" %s", yesno(target[0] == '/'),
	    yesno(n > 12 && strcmp(target + n - 12, "/f (deleted)") == 0));
	CHECK(target[0] == '/' && n > 12 && strcmp(target + n - 12, "/f (deleted)") == 0, "deleted link");
	int refd = open(fdpath, O_RDONLY);
	CHECK(refd >= 0, "reopen through /proc/self/fd");
	memset(buf, 0, sizeof buf);
	say("opening /proc/self/fd/N reopens the unlinked file: \"%s\"",
	    read(refd, buf, sizeof buf) == 10 ? buf : "(wrong)");
	CHECK(strcmp(buf, "file fmore") == 0, "reopen");
	close(refd);
	close(fd);

	/* rename. */
	put("r1", "one");
	put("r2", "two");
	CHECK(rename("r1", "r2") == 0, "rename replace");
	say("rename onto an existing file: r2 reads \"%s\", r1 gone %s", get("r2"), yesno(!exists("r1")));
	CHECK(strcmp(get("r2"), "one") == 0 && !exists("r1"), "rename replace");
	CHECK(renameat(AT_FDCWD, "r2", dfd, "r3") == 0, "renameat");
	say("renameat into d: d/r3 reads \"%s\"", get("d/r3"));
	CHECK(strcmp(get("d/r3"), "one") == 0, "renameat");
	put("r1", "new one");
	FAILS_WITH(renameat2_(AT_FDCWD, "r1", dfd, "r3", RENAME_NOREPLACE), EEXIST, "RENAME_NOREPLACE onto a file");
	CHECK(renameat2_(AT_FDCWD, "r1", AT_FDCWD, "r4", RENAME_NOREPLACE) == 0, "NOREPLACE new");
	say("RENAME_NOREPLACE to a new name: %s", yesno(exists("r4") && !exists("r1")));
	CHECK(exists("r4") && !exists("r1"), "NOREPLACE new name");
	FAILS_WITH(renameat2_(AT_FDCWD, "r4", AT_FDCWD, "r9", RENAME_EXCHANGE), ENOENT,
		   "RENAME_EXCHANGE with a missing name");
	FAILS_WITH(renameat2_(AT_FDCWD, "r4", AT_FDCWD, "r9", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL,
		   "RENAME_EXCHANGE|RENAME_NOREPLACE");
	CHECK(mkdir("xd", 0755) == 0, "mkdir xd");
	put("xd/inside", "inside xd");
	CHECK(renameat2_(AT_FDCWD, "xd", AT_FDCWD, "r4", RENAME_EXCHANGE) == 0, "EXCHANGE");
	say("RENAME_EXCHANGE of a directory and a file: r4 a directory %s, r4/inside reads \"%s\"",
	    yesno(is_dir("r4")), get("r4/inside"));
	say("and xd reads \"%s\"", get("xd"));
	CHECK(is_dir("r4") && strcmp(get("r4/inside"), "inside xd") == 0 && strcmp(get("xd"), "new one") == 0,
	      "exchange");
	CHECK(mkdir("r4/deep", 0755) == 0, "mkdir r4/deep");
	FAILS_WITH(rename("r4", "r4/deep/r4"), EINVAL, "rename of a directory into its own subtree");
	FAILS_WITH(rename("r4", "r4/x"), EINVAL, "rename of a directory into itself");
	CHECK(mkdir("full", 0755) == 0 && mkdir("full/x", 0755) == 0, "mkdir full");
	FAILS_WITH(rename("d/sub", "full"), ENOTEMPTY, "rename of a directory onto a non-empty one");
	CHECK(mkdir("emptyd", 0755) == 0, "mkdir emptyd");
	FAILS_WITH(rename("xd", "emptyd"), EISDIR, "rename of a file onto a directory");
	FAILS_WITH(rename("emptyd", "xd"), ENOTDIR, "rename of a directory onto a file");
	FAILS_WITH(rename("missing", "x"), ENOENT, "rename of a missing name");
	FAILS_WITH(rename("xd", "missing/x"), ENOENT, "rename into a missing directory");
	FAILS_WITH(rename("xd/", "yd"), ENOTDIR, "rename of a file with a trailing slash");
	FAILS_WITH(rename(".", "x"), EBUSY, "rename of \".\"");
	FAILS_WITH(rename("full", "emptyd/.."), EBUSY, "rename onto \"..\"");
	int nl_before = nlink_of(".");
	CHECK(rename("emptyd", "full/x") == 0, "rename dir onto empty dir");
	say("rename of a directory onto an empty one: parent nlink %d -> %d, full/x still a directory %s",
	    nl_before, nlink_of("."), yesno(is_dir("full/x")));
	CHECK(nlink_of(".") == nl_before - 1 && is_dir("full/x"), "dir onto empty dir");
	CHECK(rename("full/x", "movedx") == 0, "rename dir up");
	CHECK(stat("movedx/..", &st) == 0 && stat(".", &st2) == 0, "stat ..");
	say("a moved directory's \"..\" follows it: %s; nlink of full %d", yesno(st.st_ino == st2.st_ino),
	    nlink_of("full"));
	CHECK(st.st_ino == st2.st_ino && nlink_of("full") == 2, "moved dotdot");
	CHECK(mkdir("p1", 0755) == 0 && mkdir("p2", 0755) == 0 && mkdir("p1/child", 0755) == 0, "mkdir p1 p2");
	CHECK(rename("p1/child", "p2/child") == 0, "rename across dirs");
	CHECK(stat("p2/child/..", &st) == 0 && stat("p2", &st2) == 0, "stat p2");
	say("a directory moved from p1 to p2: nlink p1 %d, p2 %d, its \"..\" is p2 %s", nlink_of("p1"), nlink_of("p2"),
	    yesno(st.st_ino == st2.st_ino));
	CHECK(nlink_of("p1") == 2 && nlink_of("p2") == 3 && st.st_ino == st2.st_ino, "cross-dir rename");
	put("p1/t", "target");
	CHECK(symlink("t", "p1/ln") == 0, "symlink p1/ln");
	put("p1/new", "new");
	CHECK(rename("p1/new", "p1/ln") == 0, "rename over a symlink");
	say("rename of a file onto a symlink replaces the link: a file %s, the target kept \"%s\"",
	    yesno(lstat("p1/ln", &st) == 0 && S_ISREG(st.st_mode)), get("p1/t"));
	CHECK(S_ISREG(st.st_mode) && strcmp(get("p1/t"), "target") == 0, "over symlink");
	CHECK(unlink("p1/t") == 0 && unlink("p1/ln") == 0 && rmdir("p2/child") == 0 && rmdir("p1") == 0 &&
		      rmdir("p2") == 0,
	      "clean p1 p2");
	CHECK(link("xd", "xd-hard") == 0, "hard link");
	CHECK(rename("xd", "xd-hard") == 0, "rename onto own hard link");
	say("rename onto a hard link of itself: both names stay %s, nlink %d", yesno(exists("xd") && exists("xd-hard")),
	    nlink_of("xd"));
	CHECK(exists("xd") && exists("xd-hard") && nlink_of("xd") == 2, "rename no-op");
	CHECK(rename("xd", "xd") == 0, "rename onto itself");
	say("rename onto itself: %s", yesno(exists("xd")));
	CHECK(exists("xd"), "rename onto itself");
	CHECK(symlink("xd", "xdlink") == 0 && rename("xdlink", "xdlink2") == 0, "rename symlink");
	CHECK(readlink("xdlink2", buf, sizeof buf) == 2, "readlink renamed");
	say("rename of a symlink moves the link: target \"%.2s\"", buf);
	CHECK(memcmp(buf, "xd", 2) == 0, "renamed symlink");
	fd = open("xd", O_RDONLY);
	CHECK(fd >= 0 && rename("xd", "xd-moved") == 0, "rename open file");
	memset(buf, 0, sizeof buf);
	CHECK(read(fd, buf, sizeof buf) == 7, "read renamed open file");
	say("an open file renamed reads on: \"%s\"", buf);
	CHECK(strcmp(buf, "new one") == 0, "renamed open file");
	close(fd);

	/* Clean up. */
	const char *files[] = { "xd-moved", "xd-hard", "xdlink2", "sl", "sl-hard", "dangling", "la", "lb", "target",
				"d/r3", "d/target", "d/rel", "d/rel2", "d/sub/target", "d/sub/up", "r4/inside" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		CHECK(unlink(files[i]) == 0, files[i]);
	const char *dirs[] = { "d/sub", "d", "r4/deep", "r4", "full", "movedx" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		CHECK(rmdir(dirs[i]) == 0, dirs[i]);
	close(dfd);
	return ctest_ok();
}

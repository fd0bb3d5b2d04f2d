/* fs-attrs: attributes and special files on a tmpfs, run as root. Usage:
 *   fs-attrs DIR
 * DIR is a writable, empty directory on a tmpfs; everything is made under
 * it and removed again. Checks chmod/fchmod/fchmodat, chown/fchown/
 * lchown/fchownat, utimensat/futimens/utimes, st_ctime, mknod/mknodat
 * (FIFOs, a character device, a regular file), a FIFO between two
 * processes, access/faccessat and umask. */
#include "ctest.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <grp.h>
#include <sys/syscall.h>

static struct stat st_of(const char *p)
{
	struct stat st;
	CHECK(lstat(p, &st) == 0, "lstat");
	return st;
}

static unsigned mode_of(const char *p)
{
	return (unsigned)(st_of(p).st_mode & 07777);
}

static int ts_eq(struct timespec a, long s, long ns)
{
	return a.tv_sec == s && a.tv_nsec == ns;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Within a minute of the real-time clock. */
static int near_now(struct timespec a)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long d = (long)(now.tv_sec - a.tv_sec);
	return d >= -60 && d <= 60;
}

/* statx(2) through the raw system call (the struct by its offsets). */
struct sx {
	uint32_t mask, blksize, nlink, uid, gid;
	uint16_t mode;
	uint64_t ino, size, blocks;
	int64_t btime_s, mtime_s;
	uint32_t btime_ns, mtime_ns, rdev_major, rdev_minor;
};

static long statx_(int dfd, const char *path, int flags, unsigned mask, struct sx *o)
{
	unsigned char b[256];
	memset(b, 0, sizeof b);
	long r = syscall(SYS_statx, dfd, path, flags, mask, b);
	if (r == 0) {
		memcpy(&o->mask, b + 0, 4);
		memcpy(&o->blksize, b + 4, 4);
		memcpy(&o->nlink, b + 16, 4);
		memcpy(&o->uid, b + 20, 4);
		memcpy(&o->gid, b + 24, 4);
		memcpy(&o->mode, b + 28, 2);
		memcpy(&o->ino, b + 32, 8);
		memcpy(&o->size, b + 40, 8);
		memcpy(&o->blocks, b + 48, 8);
		memcpy(&o->btime_s, b + 80, 8);
		memcpy(&o->btime_ns, b + 88, 4);
		memcpy(&o->mtime_s, b + 112, 8);
		memcpy(&o->mtime_ns, b + 120, 4);
		memcpy(&o->rdev_major, b + 128, 4);
		memcpy(&o->rdev_minor, b + 132, 4);
	}
	return r;
}

int main(int argc, char **argv)
{
	ctest_start("fs-attrs");
	CHECK(argc == 2, "usage: fs-attrs DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	CHECK(geteuid() == 0, "run as root");

	/* umask. */
	umask(022);
	mode_t prev = umask(077);
	mode_t prev2 = umask(0);
	mode_t prev3 = umask(022);
	say("umask returns the previous mask: %o %o %o", (unsigned)prev, (unsigned)prev2, (unsigned)prev3);
	CHECK(prev == 022 && prev2 == 077 && prev3 == 0, "umask");
	prev = umask(0777777);
	say("umask keeps only 0777: %o", (unsigned)umask(022));
	CHECK(prev == 022, "umask 022");

	/* chmod, fchmod, fchmodat. */
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "create f");
	struct stat st = st_of("f");
	struct timespec ct0 = st.st_ctim;
	sleep_ms(30);
	CHECK(chmod("f", 0600) == 0, "chmod");
	st = st_of("f");
	say("chmod 0600: mode %o, ctime moved: %s", (unsigned)(st.st_mode & 07777), yesno(ts_after(st.st_ctim, ct0)));
	CHECK((st.st_mode & 07777) == 0600 && ts_after(st.st_ctim, ct0), "chmod ctime");
	CHECK(fchmod(fd, 04751) == 0, "fchmod");
	say("fchmod 04751: mode %o", mode_of("f"));
	CHECK(mode_of("f") == 04751, "fchmod mode");
	CHECK(fchmodat(AT_FDCWD, "f", 0100640, 0) == 0, "fchmodat");
	say("fchmodat 0100640 keeps only the permission bits: %o, still regular %s", mode_of("f"),
	    yesno(S_ISREG(st_of("f").st_mode)));
	CHECK(mode_of("f") == 0640 && S_ISREG(st_of("f").st_mode), "fchmodat mode");
	CHECK(symlink("f", "sl") == 0, "symlink");
	CHECK(chmod("sl", 0604) == 0, "chmod via symlink");
	say("chmod through a symlink changes the target: %o, the link stays %o", mode_of("f"), mode_of("sl"));
	CHECK(mode_of("f") == 0604 && mode_of("sl") == 0777, "chmod follows");
	FAILS_WITH(fchmodat(AT_FDCWD, "sl", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP,
		   "fchmodat AT_SYMLINK_NOFOLLOW on a symlink");
	FAILS_WITH(chmod("missing", 0600), ENOENT, "chmod of a missing name");
	FAILS_WITH(fchmod(-1, 0600), EBADF, "fchmod of a bad descriptor");

	/* chown and friends. */
	CHECK(chown("f", 1234, 5678) == 0, "chown");
	st = st_of("f");
	say("chown 1234:5678: %d:%d", (int)st.st_uid, (int)st.st_gid);
	CHECK(st.st_uid == 1234 && st.st_gid == 5678, "chown ids");
	CHECK(chown("f", -1, 42) == 0, "chown -1");
	st = st_of("f");
	say("chown -1:42 keeps the owner: %d:%d", (int)st.st_uid, (int)st.st_gid);
	CHECK(st.st_uid == 1234 && st.st_gid == 42, "chown keep");
	CHECK(fchown(fd, 7, -1) == 0, "fchown");
	st = st_of("f");
	say("fchown 7:-1: %d:%d", (int)st.st_uid, (int)st.st_gid);
	CHECK(st.st_uid == 7 && st.st_gid == 42, "fchown ids");
	CHECK(lchown("sl", 99, 98) == 0, "lchown");
	say("lchown changes the link (%d:%d), not the target (%d:%d)", (int)st_of("sl").st_uid,
	    (int)st_of("sl").st_gid, (int)st_of("f").st_uid, (int)st_of("f").st_gid);
	CHECK(st_of("sl").st_uid == 99 && st_of("sl").st_gid == 98 && st_of("f").st_uid == 7, "lchown");
	CHECK(fchownat(AT_FDCWD, "sl", 11, 12, AT_SYMLINK_NOFOLLOW) == 0, "fchownat nofollow");
	CHECK(fchownat(AT_FDCWD, "sl", 21, 22, 0) == 0, "fchownat follow");
	say("fchownat NOFOLLOW: link %d:%d; without: target %d:%d", (int)st_of("sl").st_uid, (int)st_of("sl").st_gid,
	    (int)st_of("f").st_uid, (int)st_of("f").st_gid);
	CHECK(st_of("sl").st_uid == 11 && st_of("f").st_uid == 21 && st_of("f").st_gid == 22, "fchownat");
	CHECK(fchmod(fd, 06755) == 0, "setuid");
	CHECK(chown("f", 0, 0) == 0, "chown clears");
	say("chown by root of a 06755 file clears set-id bits: mode %o", mode_of("f"));
	CHECK(mode_of("f") == 0755, "suid cleared");
	CHECK(fchmod(fd, 02745) == 0, "setgid no group exec");
	CHECK(chown("f", 0, 0) == 0, "chown 2");
	say("chown of a 02745 file (set-gid without group exec): mode %o", mode_of("f"));
	CHECK(mode_of("f") == 02745, "sgid kept");
	CHECK(fchmod(fd, 06755) == 0 && chown("f", -1, -1) == 0, "chown -1 -1");
	say("chown -1:-1 of a 06755 file: mode %o", mode_of("f"));
	CHECK(mode_of("f") == 0755, "chown -1 -1 clears");
	CHECK(fchmod(fd, 06755) == 0 && write(fd, "x", 1) == 1, "write as root");
	say("a write by root keeps the set-id bits: mode %o", mode_of("f"));
	CHECK(mode_of("f") == 06755, "write keeps suid for root");
	FAILS_WITH(chown("missing", 0, 0), ENOENT, "chown of a missing name");

	/* Times. */
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
	CHECK(utimensat(AT_FDCWD, "f", ts, 0) == 0, "utimensat");
	st = st_of("f");
	say("utimensat explicit: atime %lld.%09ld, mtime %lld.%09ld", (long long)st.st_atim.tv_sec,
	    st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(ts_eq(st.st_atim, 1000000000, 123456789) && ts_eq(st.st_mtim, 1500000000, 987654321), "times");
	struct timespec om[2] = { { 5, UTIME_OMIT }, { 1600000000, 1 } };
	CHECK(utimensat(AT_FDCWD, "f", om, 0) == 0, "UTIME_OMIT");
	st = st_of("f");
	say("UTIME_OMIT for atime: atime kept %s, mtime %lld.%09ld", yesno(ts_eq(st.st_atim, 1000000000, 123456789)),
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(ts_eq(st.st_atim, 1000000000, 123456789) && ts_eq(st.st_mtim, 1600000000, 1), "omit");
	struct timespec nw[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	CHECK(futimens(fd, nw) == 0, "futimens NOW");
	st = st_of("f");
	say("futimens UTIME_NOW for mtime: now %s, atime kept %s", yesno(near_now(st.st_mtim)),
	    yesno(ts_eq(st.st_atim, 1000000000, 123456789)));
	CHECK(near_now(st.st_mtim) && ts_eq(st.st_atim, 1000000000, 123456789), "now");
	CHECK(utimensat(AT_FDCWD, "f", NULL, 0) == 0, "utimensat NULL");
	st = st_of("f");
	say("utimensat NULL: both now %s", yesno(near_now(st.st_atim) && near_now(st.st_mtim)));
	CHECK(near_now(st.st_atim) && near_now(st.st_mtim), "null");
	struct timeval tv[2] = { { 1234567890, 111111 }, { 1234567891, 222222 } };
	CHECK(utimes("f", tv) == 0, "utimes");
	st = st_of("f");
	say("utimes: mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(ts_eq(st.st_mtim, 1234567891, 222222000) && ts_eq(st.st_atim, 1234567890, 111111000), "utimes");
	CHECK(utimensat(AT_FDCWD, "sl", ts, AT_SYMLINK_NOFOLLOW) == 0, "utimensat nofollow");
	say("utimensat NOFOLLOW sets the link's mtime (%lld), not the target's (%lld)",
	    (long long)st_of("sl").st_mtim.tv_sec, (long long)st_of("f").st_mtim.tv_sec);
	CHECK(st_of("sl").st_mtim.tv_sec == 1500000000 && st_of("f").st_mtim.tv_sec == 1234567891, "nofollow");
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	FAILS_WITH(utimensat(AT_FDCWD, "f", bad, 0), EINVAL, "utimensat with tv_nsec 1e9");
	FAILS_WITH(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT, "utimensat of a missing name");
	ct0 = st_of("f").st_ctim;
	struct timespec m0 = st_of("f").st_mtim;
	sleep_ms(30);
	CHECK(pwrite(fd, "y", 1, 0) == 1, "pwrite");
	st = st_of("f");
	say("a write moves mtime and ctime: %s %s", yesno(ts_after(st.st_mtim, m0)), yesno(ts_after(st.st_ctim, ct0)));
	CHECK(ts_after(st.st_mtim, m0) && ts_after(st.st_ctim, ct0), "write times");
	ct0 = st.st_ctim;
	sleep_ms(30);
	CHECK(link("f", "f2") == 0, "link");
	say("link moves ctime: %s", yesno(ts_after(st_of("f").st_ctim, ct0)));
	CHECK(ts_after(st_of("f").st_ctim, ct0), "link ctime");
	CHECK(unlink("f2") == 0, "unlink f2");
	CHECK(mkdir("d", 0755) == 0, "mkdir");
	struct timespec dm0 = st_of("d").st_mtim;
	sleep_ms(30);
	CHECK(close(open("d/x", O_WRONLY | O_CREAT, 0644)) == 0, "d/x");
	say("creating a name moves the directory's mtime: %s", yesno(ts_after(st_of("d").st_mtim, dm0)));
	CHECK(ts_after(st_of("d").st_mtim, dm0), "dir mtime");
	CHECK(unlink("d/x") == 0, "unlink d/x");

	/* statx. */
	struct sx x;
	CHECK(statx_(AT_FDCWD, "f", 0, 0xfff, &x) == 0, "statx");
	st = st_of("f");
	say("statx: basic stats %s, btime %s, agrees with stat (mode, size, ino, nlink, uid, mtime) %s, blksize %u",
	    yesno((x.mask & 0x7ff) == 0x7ff), yesno(x.mask & 0x800),
	    yesno(x.mode == st.st_mode && x.size == (uint64_t)st.st_size && x.ino == st.st_ino &&
		  x.nlink == st.st_nlink && x.uid == st.st_uid && x.mtime_s == st.st_mtim.tv_sec &&
		  x.mtime_ns == (uint32_t)st.st_mtim.tv_nsec),
	    x.blksize);
	CHECK((x.mask & 0x7ff) == 0x7ff && x.mode == st.st_mode && x.size == (uint64_t)st.st_size &&
		      x.ino == st.st_ino && x.mtime_s == st.st_mtim.tv_sec && x.blksize == 4096,
	      "statx fields");
	CHECK(!(x.mask & 0x800) || near_now((struct timespec){ x.btime_s, x.btime_ns }), "btime");
	CHECK(statx_(AT_FDCWD, "sl", AT_SYMLINK_NOFOLLOW, 0x7ff, &x) == 0, "statx nofollow");
	say("statx AT_SYMLINK_NOFOLLOW: a symlink %s, size %llu", yesno(S_ISLNK(x.mode)), (unsigned long long)x.size);
	CHECK(S_ISLNK(x.mode) && x.size == 1, "statx link");
	CHECK(statx_(fd, "", AT_EMPTY_PATH, 0x7ff, &x) == 0, "statx empty path");
	say("statx of a descriptor with AT_EMPTY_PATH: the file %s", yesno(x.ino == st.st_ino));
	CHECK(x.ino == st.st_ino, "statx fd");
	FAILS_WITH(statx_(AT_FDCWD, "f", 0x40000000, 0x7ff, &x), EINVAL, "statx with an unknown flag");
	FAILS_WITH(statx_(AT_FDCWD, "f", 0, 0x80000000u, &x), EINVAL, "statx with STATX__RESERVED");
	FAILS_WITH(statx_(AT_FDCWD, "", 0, 0x7ff, &x), ENOENT, "statx of \"\" without AT_EMPTY_PATH");

	/* mknod and mknodat. */
	CHECK(mknod("fifo", S_IFIFO | 0644, 0) == 0, "mknod fifo");
	say("mknod S_IFIFO: a FIFO %s", yesno(S_ISFIFO(st_of("fifo").st_mode)));
	CHECK(S_ISFIFO(st_of("fifo").st_mode), "mknod fifo type");
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open d");
	CHECK(mknodat(dfd, "null", S_IFCHR | 0666, makedev(1, 3)) == 0, "mknodat chr");
	st = st_of("d/null");
	say("mknodat S_IFCHR 1,3: char device %s, rdev %u,%u, mode %o", yesno(S_ISCHR(st.st_mode)),
	    major(st.st_rdev), minor(st.st_rdev), (unsigned)(st.st_mode & 07777));
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3 && (st.st_mode & 07777) == 0644,
	      "chr");
	CHECK(statx_(dfd, "null", 0, 0x7ff, &x) == 0, "statx null");
	say("statx of the device node: rdev %u,%u", x.rdev_major, x.rdev_minor);
	CHECK(x.rdev_major == 1 && x.rdev_minor == 3, "statx rdev");
	int nfd = open("d/null", O_RDWR);
	CHECK(nfd >= 0, "open d/null");
	char b[16];
	ssize_t w = write(nfd, "discard", 7), r = read(nfd, b, sizeof b);
	say("the device node works like /dev/null: write %zd, read %zd", w, r);
	CHECK(w == 7 && r == 0, "null");
	close(nfd);
	CHECK(mknod("reg", S_IFREG | 0600, 0) == 0, "mknod reg");
	say("mknod S_IFREG: regular %s", yesno(S_ISREG(st_of("reg").st_mode)));
	CHECK(S_ISREG(st_of("reg").st_mode), "mknod reg type");
	CHECK(mknod("plain", 0600, 0) == 0, "mknod 0");
	say("mknod with no type makes a regular file: %s", yesno(S_ISREG(st_of("plain").st_mode)));
	CHECK(S_ISREG(st_of("plain").st_mode), "mknod plain type");
	FAILS_WITH(mknod("dir", S_IFDIR | 0755, 0), EPERM, "mknod S_IFDIR");
	FAILS_WITH(mknod("fifo", S_IFIFO | 0644, 0), EEXIST, "mknod of an existing name");
	FAILS_WITH(mkfifo("missing/x", 0644), ENOENT, "mkfifo in a missing directory");
	CHECK(mkfifoat(dfd, "fifo2", 0600) == 0, "mkfifoat");
	say("mkfifoat: a FIFO %s", yesno(S_ISFIFO(st_of("d/fifo2").st_mode)));
	CHECK(S_ISFIFO(st_of("d/fifo2").st_mode), "mkfifoat type");
	FAILS_WITH(open("fifo", O_WRONLY | O_NONBLOCK), ENXIO, "O_WRONLY|O_NONBLOCK open of a FIFO with no reader");
	int rfd = open("fifo", O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0, "O_RDONLY|O_NONBLOCK of a FIFO");
	ssize_t r0 = read(rfd, b, sizeof b);
	say("read of an empty FIFO that no writer has opened: %zd (EOF, not EAGAIN)", r0);
	CHECK(r0 == 0, "fifo eof without writers");
	close(rfd);

	/* A FIFO between a writer child and a reader parent. */
	pid_t pid = xfork();
	if (pid == 0) {
		int wfd = open("fifo", O_WRONLY);
		if (wfd < 0)
			_exit(2);
		for (int i = 0; i < 100; i++)
			if (write_all(wfd, "0123456789", 10) != 0)
				_exit(3);
		close(wfd);
		_exit(0);
	}
	rfd = open("fifo", O_RDONLY);
	CHECK(rfd >= 0, "open fifo for reading");
	char big[2000];
	ssize_t got = read_full(rfd, big, sizeof big);
	int okpat = got == 1000;
	for (ssize_t i = 0; okpat && i < got; i++)
		okpat = big[i] == '0' + (char)(i % 10);
	say("FIFO from a child: %zd bytes in order %s, then EOF %s", got, yesno(okpat), yesno(read(rfd, b, 1) == 0));
	CHECK(okpat, "fifo data");
	close(rfd);
	expect_exit(pid, 0, "fifo writer");
	st = st_of("fifo");
	say("the FIFO's size stays 0: %lld", (long long)st.st_size);
	CHECK(st.st_size == 0, "fifo size");

	/* access and faccessat as root. */
	CHECK(chmod("reg", 0) == 0, "chmod 0");
	say("root with mode 0: R_OK %s, W_OK %s, X_OK %s", yesno(access("reg", R_OK) == 0),
	    yesno(access("reg", W_OK) == 0), yesno(access("reg", X_OK) == 0));
	CHECK(access("reg", R_OK | W_OK) == 0, "root rw");
	FAILS_WITH(access("reg", X_OK), EACCES, "root X_OK with no execute bit");
	CHECK(chmod("reg", 0001) == 0, "chmod 0001");
	say("root X_OK with only the others' execute bit: %s", yesno(access("reg", X_OK) == 0));
	CHECK(access("reg", X_OK) == 0, "root x");
	CHECK(chmod("d", 0) == 0, "chmod d 0");
	int dx = access("d", X_OK) == 0;
	say("directories: X_OK for root on mode 0: %s", yesno(dx));
	CHECK(dx, "root x on dirs");
	CHECK(chmod("d", 0755) == 0, "chmod d back");
	CHECK(faccessat(AT_FDCWD, "reg", R_OK, AT_EACCESS) == 0, "faccessat AT_EACCESS");
	CHECK(faccessat(dfd, "null", W_OK, 0) == 0, "faccessat dirfd");
	say("faccessat with AT_EACCESS and with a dirfd: yes");
	FAILS_WITH(access("missing", F_OK), ENOENT, "access of a missing name");
	FAILS_WITH(access("reg/x", F_OK), ENOTDIR, "access under a file");
	FAILS_WITH(access("reg", 8), EINVAL, "access with a bad mode");
	CHECK(symlink("nowhere", "sl-dangling") == 0, "dangling symlink");
	FAILS_WITH(access("sl-dangling", F_OK), ENOENT, "access F_OK of a dangling symlink");
	CHECK(faccessat(AT_FDCWD, "sl-dangling", F_OK, AT_SYMLINK_NOFOLLOW) == 0, "faccessat nofollow");
	say("faccessat AT_SYMLINK_NOFOLLOW of a dangling symlink: yes");

	/* Permissions, from a child that drops to uid 1000, gid 1000. */
	CHECK(mkdir("p", 0755) == 0 && mkdir("s", 01777) == 0 && chmod("s", 01777) == 0, "mkdir p s");
	CHECK(mkdir("p/nox", 0700) == 0 && mkdir("p/open", 0777) == 0 && chmod("p/open", 0777) == 0, "mkdir nox");
	const struct {
		const char *name;
		mode_t mode;
		gid_t gid;
	} pf[] = { { "p/pub", 0644, 0 }, { "p/secret", 0600, 0 }, { "p/grp", 0640, 1000 },
		   { "p/grp-none", 0604, 1000 }, { "s/rootfile", 0666, 0 }, { "p/open/rootfile", 0644, 0 } };
	for (size_t i = 0; i < sizeof pf / sizeof pf[0]; i++) {
		int pfd = open(pf[i].name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		CHECK(pfd >= 0 && write_all(pfd, "data", 4) == 0 && fchown(pfd, 0, pf[i].gid) == 0 &&
			      fchmod(pfd, pf[i].mode) == 0 && close(pfd) == 0,
		      pf[i].name);
	}
	pid = xfork();
	if (pid == 0) {
		CHECK(setgroups(0, NULL) == 0 && setgid(1000) == 0 && setuid(1000) == 0, "drop to 1000");
		say("as uid 1000: open of a 0644 root file for reading %s", yesno(close(open("p/pub", O_RDONLY)) == 0));
		CHECK(access("p/pub", R_OK) == 0, "read pub");
		FAILS_WITH(open("p/pub", O_WRONLY), EACCES, "as uid 1000: O_WRONLY of a 0644 root file");
		FAILS_WITH(open("p/pub", O_RDONLY | O_TRUNC), EACCES, "as uid 1000: O_TRUNC of a 0644 root file");
		FAILS_WITH(open("p/secret", O_RDONLY), EACCES, "as uid 1000: a 0600 root file");
		FAILS_WITH(access("p/secret", R_OK), EACCES, "as uid 1000: access R_OK of it");
		say("as uid 1000: a 0640 file of group 1000 reads %s",
		    yesno(close(open("p/grp", O_RDONLY)) == 0));
		CHECK(access("p/grp", R_OK) == 0, "read grp");
		FAILS_WITH(open("p/grp-none", O_RDONLY), EACCES,
			   "as uid 1000: a 0604 file of group 1000 (the group class decides)");
		FAILS_WITH(stat("p/nox/x", &st), EACCES, "as uid 1000: a name under a 0700 root directory");
		FAILS_WITH(mkdir("p/x", 0755), EACCES, "as uid 1000: mkdir in a 0755 root directory");
		FAILS_WITH(unlink("p/pub"), EACCES, "as uid 1000: unlink in a 0755 root directory");
		FAILS_WITH(chmod("p/pub", 0666), EPERM, "as uid 1000: chmod of a root file");
		FAILS_WITH(chown("p/pub", 1000, 1000), EPERM, "as uid 1000: chown of a root file");
		FAILS_WITH(utimensat(AT_FDCWD, "p/pub", ts, 0), EPERM, "as uid 1000: explicit times on a root file");
		FAILS_WITH(utimensat(AT_FDCWD, "p/pub", NULL, 0), EACCES,
			   "as uid 1000: UTIME_NOW on a root file it cannot write");
		CHECK(utimensat(AT_FDCWD, "s/rootfile", NULL, 0) == 0, "UTIME_NOW with write access");
		say("as uid 1000: UTIME_NOW on a 0666 root file: yes");
		CHECK(unlink("p/open/rootfile") == 0, "unlink in a 0777 dir");
		say("as uid 1000: unlink of a root file in a 0777 directory: yes");
		FAILS_WITH(unlink("s/rootfile"), EPERM, "as uid 1000: unlink of a root file in a sticky directory");
		FAILS_WITH(rename("s/rootfile", "s/moved"), EPERM, "as uid 1000: rename of it");
		int mfd = open("s/mine", O_RDWR | O_CREAT | O_EXCL, 0644);
		CHECK(mfd >= 0 && fstat(mfd, &st) == 0, "create s/mine");
		say("as uid 1000: a new file is owned by %d:%d", (int)st.st_uid, (int)st.st_gid);
		CHECK(st.st_uid == 1000 && st.st_gid == 1000, "owner");
		FAILS_WITH(fchown(mfd, 0, -1), EPERM, "as uid 1000: giving its file to root");
		FAILS_WITH(fchown(mfd, -1, 5), EPERM, "as uid 1000: chown to a group it is not in");
		CHECK(fchown(mfd, -1, 1000) == 0 && fchown(mfd, 1000, -1) == 0, "chown to itself");
		CHECK(fchmod(mfd, 06755) == 0 && fstat(mfd, &st) == 0, "fchmod 06755");
		say("as uid 1000: fchmod 06755 of its own file: %o", (unsigned)(st.st_mode & 07777));
		CHECK(write(mfd, "x", 1) == 1 && fstat(mfd, &st) == 0, "write");
		say("as uid 1000: a write clears the set-id bits: %o", (unsigned)(st.st_mode & 07777));
		CHECK((st.st_mode & 07777) == 0755, "write clears suid");
		CHECK(fchmod(mfd, 0) == 0, "fchmod 0");
		FAILS_WITH(open("s/mine", O_RDONLY), EACCES, "as uid 1000: its own file at mode 0");
		ssize_t wy = write(mfd, "y", 1);
		say("as uid 1000: the descriptor opened before still writes: %s", yesno(wy == 1));
		CHECK(wy == 1, "old descriptor writes");
		CHECK(fchmod(mfd, 0644) == 0 && close(mfd) == 0, "restore");
		CHECK(unlink("s/mine") == 0, "unlink own file in sticky dir");
		say("as uid 1000: unlink of its own file in a sticky directory: yes");
		_exit(0);
	}
	expect_exit(pid, 0, "unprivileged child");
	const char *pnames[] = { "p/pub", "p/secret", "p/grp", "p/grp-none", "s/rootfile" };
	for (size_t i = 0; i < sizeof pnames / sizeof pnames[0]; i++)
		CHECK(unlink(pnames[i]) == 0, pnames[i]);
	CHECK(rmdir("p/nox") == 0 && rmdir("p/open") == 0 && rmdir("p") == 0 && rmdir("s") == 0, "rmdir p s");

	/* Clean up. */
	close(fd);
	close(dfd);
	const char *names[] = { "f", "sl", "fifo", "reg", "plain", "sl-dangling", "d/null", "d/fifo2" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(unlink(names[i]) == 0, names[i]);
	CHECK(rmdir("d") == 0, "rmdir d");
	return ctest_ok();
}

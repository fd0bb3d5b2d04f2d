/* fs-rw: reading and writing files on a tmpfs. Usage:
 *   fs-rw DIR
 * DIR is a writable, empty directory on a tmpfs; everything is made under
 * it and removed again. Checks write/pwrite/writev/pwritev against
 * read/pread/readv/preadv, holes reading as zeros, lseek, truncate and
 * ftruncate, st_size and st_blocks, fsync/fdatasync/sync/syncfs,
 * fallocate, statfs/fstatfs of a tmpfs, and a 4 MiB pattern. */
#include "ctest.h"
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#define TMPFS_MAGIC_ 0x01021994

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static unsigned char pat(size_t i)
{
	return (unsigned char)((i * 131u + (i >> 12) * 7u) & 0xff);
}

int main(int argc, char **argv)
{
	ctest_start("fs-rw");
	CHECK(argc == 2, "usage: fs-rw DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	struct stat st;
	char buf[256];

	/* write, read, offsets. */
	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "create f");
	CHECK(write(fd, "hello", 5) == 5 && write(fd, " world", 6) == 6, "write");
	say("two writes: offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(lseek(fd, 0, SEEK_CUR) == 11, "offset 11");
	CHECK(write(fd, "", 0) == 0, "zero write");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	memset(buf, 0, sizeof buf);
	ssize_t n = read(fd, buf, sizeof buf);
	say("read of 256 at 0: %zd bytes \"%s\"", n, buf);
	CHECK(n == 11 && strcmp(buf, "hello world") == 0, "read");
	n = read(fd, buf, sizeof buf);
	say("read at EOF: %zd", n);
	CHECK(n == 0, "EOF");

	/* pwrite and pread leave the offset alone. */
	CHECK(lseek(fd, 3, SEEK_SET) == 3, "lseek 3");
	CHECK(pwrite(fd, "W", 1, 6) == 1, "pwrite");
	memset(buf, 0, sizeof buf);
	CHECK(pread(fd, buf, 5, 6) == 5, "pread");
	say("pwrite 'W' at 6, pread 5 at 6: \"%s\", offset still %lld", buf,
	    (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(strcmp(buf, "World") == 0 && lseek(fd, 0, SEEK_CUR) == 3, "pread/pwrite");
	n = pread(fd, buf, 10, 100);
	say("pread beyond EOF: %zd", n);
	CHECK(n == 0, "pread beyond EOF");
	FAILS_WITH(pwrite(fd, "x", 1, -1), EINVAL, "pwrite at a negative offset");
	FAILS_WITH(pread(fd, buf, 1, -1), EINVAL, "pread at a negative offset");

	/* writev, pwritev, readv, preadv. */
	CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0, "reset");
	struct iovec wv[3] = { { "one ", 4 }, { "", 0 }, { "two three", 9 } };
	n = writev(fd, wv, 3);
	say("writev 4+0+9: %zd", n);
	CHECK(n == 13, "writev");
	struct iovec pw[2] = { { "AB", 2 }, { "CD", 2 } };
	n = pwritev(fd, pw, 2, 20);
	CHECK(fstat(fd, &st) == 0, "fstat");
	say("pwritev 2+2 at 20: %zd, size %lld, offset %lld", n, (long long)st.st_size,
	    (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(n == 4 && st.st_size == 24 && lseek(fd, 0, SEEK_CUR) == 13, "pwritev");
	char a[5] = { 0 }, b[20] = { 0 };
	struct iovec rv[2] = { { a, 4 }, { b, 19 } };
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	n = readv(fd, rv, 2);
	say("readv 4+19 of 24: %zd, \"%s\", then the rest has a hole of zeros: %s", n, a,
	    yesno(memcmp(b, "two three", 9) == 0 && all_zero(b + 9, 7) && memcmp(b + 16, "ABC", 3) == 0));
	CHECK(n == 23 && strcmp(a, "one ") == 0 && memcmp(b, "two three", 9) == 0 && all_zero(b + 9, 7) &&
		      memcmp(b + 16, "ABC", 3) == 0,
	      "readv");
	char c[3] = { 0 }, d[3] = { 0 };
	struct iovec pv[2] = { { c, 2 }, { d, 2 } };
	n = preadv(fd, pv, 2, 4);
	say("preadv 2+2 at 4: %zd \"%s\" \"%s\", offset %lld", n, c, d, (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(n == 4 && strcmp(c, "tw") == 0 && strcmp(d, "o ") == 0 && lseek(fd, 0, SEEK_CUR) == 23,
	      "preadv");

	/* lseek. */
	off_t e = lseek(fd, 0, SEEK_END);
	off_t e2 = lseek(fd, -4, SEEK_END);
	off_t c1 = lseek(fd, 2, SEEK_CUR);
	say("lseek: SEEK_END %lld, SEEK_END-4 %lld, then SEEK_CUR+2 %lld", (long long)e, (long long)e2,
	    (long long)c1);
	CHECK(e == 24 && e2 == 20 && c1 == 22, "lseek");
	FAILS_WITH(lseek(fd, -100, SEEK_END), EINVAL, "lseek before the start");
	FAILS_WITH(lseek(fd, 0, 77), EINVAL, "lseek with a bad whence");
	say("offset after the failed lseeks: %lld", (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(lseek(fd, 0, SEEK_CUR) == 22, "offset kept");
	off_t far = lseek(fd, 1 << 20, SEEK_SET);
	CHECK(far == 1 << 20 && fstat(fd, &st) == 0, "lseek far");
	say("lseek past EOF: %lld, size still %lld", (long long)far, (long long)st.st_size);
	CHECK(st.st_size == 24, "size after lseek");
	CHECK(write(fd, "Z", 1) == 1 && fstat(fd, &st) == 0, "write far");
	say("a write at 1 MiB: size %lld, sparse (blocks*512 < size): %s", (long long)st.st_size,
	    yesno(st.st_blocks * 512 < st.st_size));
	CHECK(st.st_size == (1 << 20) + 1 && st.st_blocks > 0 && st.st_blocks * 512 < st.st_size, "hole");
	static char zb[65536];
	memset(zb, 1, sizeof zb);
	CHECK(pread(fd, zb, sizeof zb, 500000) == (ssize_t)sizeof zb, "pread hole");
	say("the hole reads as zeros: %s", yesno(all_zero(zb, sizeof zb)));
	CHECK(all_zero(zb, sizeof zb), "zeros");

	/* truncate and ftruncate. */
	CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0, "ftruncate down");
	say("ftruncate to 5: size %lld", (long long)st.st_size);
	CHECK(st.st_size == 5, "5");
	CHECK(ftruncate(fd, 100) == 0 && fstat(fd, &st) == 0, "ftruncate up");
	memset(buf, 1, sizeof buf);
	n = pread(fd, buf, sizeof buf, 0);
	say("ftruncate up to 100: size %lld, read %zd, \"%.5s\" then zeros: %s", (long long)st.st_size, n, buf,
	    yesno(all_zero(buf + 5, 95)));
	CHECK(st.st_size == 100 && n == 100 && memcmp(buf, "one t", 5) == 0 && all_zero(buf + 5, 95),
	      "ftruncate up zeros");
	CHECK(truncate("f", 3) == 0 && stat("f", &st) == 0, "truncate");
	say("truncate to 3: size %lld", (long long)st.st_size);
	CHECK(st.st_size == 3, "3");
	CHECK(truncate("f", 10) == 0, "truncate up");
	memset(buf, 1, sizeof buf);
	CHECK(pread(fd, buf, 10, 0) == 10, "pread");
	say("truncate down then up: old bytes past 3 are zeros: %s", yesno(all_zero(buf + 3, 7)));
	CHECK(memcmp(buf, "one", 3) == 0 && all_zero(buf + 3, 7), "zeros after down/up");
	say("the offset after truncating below it: %lld", (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(lseek(fd, 0, SEEK_CUR) == (1 << 20) + 1, "offset unchanged");
	FAILS_WITH(ftruncate(fd, -1), EINVAL, "ftruncate to -1");
	FAILS_WITH(truncate("f", -1), EINVAL, "truncate to -1");
	CHECK(mkdir("d", 0755) == 0, "mkdir");
	FAILS_WITH(truncate("d", 0), EISDIR, "truncate of a directory");
	FAILS_WITH(truncate("missing", 0), ENOENT, "truncate of a missing name");
	int rfd = open("f", O_RDONLY);
	CHECK(rfd >= 0, "open O_RDONLY");
	FAILS_WITH(ftruncate(rfd, 0), EINVAL, "ftruncate of an O_RDONLY descriptor");
	FAILS_WITH(write(rfd, "x", 1), EBADF, "write of an O_RDONLY descriptor");
	close(rfd);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open d");
	FAILS_WITH(ftruncate(dfd, 0), EINVAL, "ftruncate of a directory");
	FAILS_WITH(read(dfd, buf, 1), EISDIR, "read of a directory");

	/* The sync family. */
	int s1 = fsync(fd), s2 = fdatasync(fd), s3 = syncfs(fd), s4 = fsync(dfd);
	sync();
	say("fsync %d, fdatasync %d, syncfs %d, fsync of a directory %d", s1, s2, s3, s4);
	CHECK(s1 == 0 && s2 == 0 && s3 == 0 && s4 == 0, "sync");
	close(dfd);
	FAILS_WITH(fsync(-1), EBADF, "fsync of a bad descriptor");

	/* fallocate. */
	CHECK(ftruncate(fd, 0) == 0, "truncate 0");
	CHECK(fallocate(fd, 0, 0, 8192) == 0 && fstat(fd, &st) == 0, "fallocate");
	say("fallocate 8192: size %lld, blocks*512 >= 8192: %s", (long long)st.st_size,
	    yesno(st.st_blocks * 512 >= 8192));
	CHECK(st.st_size == 8192 && st.st_blocks * 512 >= 8192, "fallocate grows");
	blkcnt_t blocks = st.st_blocks;
	CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192) == 0 && fstat(fd, &st) == 0, "fallocate keep");
	say("fallocate KEEP_SIZE 8192 more: size %lld, more blocks: %s", (long long)st.st_size,
	    yesno(st.st_blocks > blocks));
	CHECK(st.st_size == 8192 && st.st_blocks > blocks, "keep size");
	memset(buf, 1, sizeof buf);
	CHECK(pread(fd, buf, sizeof buf, 4096) == (ssize_t)sizeof buf, "pread fallocated");
	say("fallocated space reads as zeros: %s", yesno(all_zero(buf, sizeof buf)));
	CHECK(all_zero(buf, sizeof buf), "fallocate zeros");
	CHECK(pwrite(fd, "xxxxxxxx", 8, 4096) == 8, "pwrite");
	CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096) == 0 && fstat(fd, &st) == 0,
	      "punch");
	memset(buf, 1, sizeof buf);
	CHECK(pread(fd, buf, 8, 4096) == 8, "pread punched");
	say("PUNCH_HOLE: size %lld, reads zeros: %s", (long long)st.st_size, yesno(all_zero(buf, 8)));
	CHECK(st.st_size == 8192 && all_zero(buf, 8), "punch zeros");
	FAILS_WITH(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP, "PUNCH_HOLE without KEEP_SIZE");
	FAILS_WITH(fallocate(fd, 0, 0, 0), EINVAL, "fallocate of length 0");
	FAILS_WITH(fallocate(fd, 0, -1, 10), EINVAL, "fallocate at a negative offset");

	/* statfs and fstatfs. */
	struct statfs sf, sf2;
	CHECK(statfs(".", &sf) == 0 && fstatfs(fd, &sf2) == 0, "statfs");
	say("statfs: tmpfs magic %s, f_bsize 4096 %s, fstatfs agrees %s, name max %ld",
	    yesno(sf.f_type == TMPFS_MAGIC_), yesno(sf.f_bsize == 4096), yesno(sf2.f_type == sf.f_type),
	    (long)sf.f_namelen);
	CHECK(sf.f_type == TMPFS_MAGIC_ && sf.f_bsize == 4096 && sf2.f_type == sf.f_type && sf.f_namelen == 255,
	      "statfs fields");
	close(fd);

	/* Bad buffers and vectors. */
	fd = open("v", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, "0123456789", 10) == 0, "create v");
	FAILS_WITH(write(fd, (void *)8, 10), EFAULT, "write from an unmapped buffer");
	FAILS_WITH(pread(fd, (void *)8, 10, 0), EFAULT, "pread into an unmapped buffer");
	CHECK(fstat(fd, &st) == 0, "fstat v");
	say("the failed write left the size at %lld", (long long)st.st_size);
	CHECK(st.st_size == 10, "size after EFAULT");
	struct iovec one = { buf, 1 };
	n = writev(fd, &one, 0);
	say("writev of 0 vectors: %zd", n);
	CHECK(n == 0, "writev 0");
	static struct iovec many[1025];
	for (int i = 0; i < 1025; i++)
		many[i] = (struct iovec){ buf, 1 };
	FAILS_WITH(writev(fd, many, 1025), EINVAL, "writev of 1025 vectors");
	n = pwritev(fd, many, 1024, 0);
	say("pwritev of 1024 one-byte vectors: %zd", n);
	CHECK(n == 1024, "pwritev 1024");
	struct iovec huge[2] = { { buf, 1 }, { buf, SIZE_MAX } };
	FAILS_WITH(writev(fd, huge, 2), EINVAL, "writev of a length that is negative as ssize_t");
	close(fd);
	CHECK(unlink("v") == 0, "unlink v");
	int pp[2];
	CHECK(pipe(pp) == 0, "pipe");
	FAILS_WITH(lseek(pp[0], 0, SEEK_CUR), ESPIPE, "lseek of a pipe");
	FAILS_WITH(pwrite(pp[1], "x", 1, 0), ESPIPE, "pwrite to a pipe");
	FAILS_WITH(pread(pp[0], buf, 1, 0), ESPIPE, "pread from a pipe");
	close(pp[0]);
	close(pp[1]);

	/* Offsets belong to the open file description. */
	fd = open("o", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int fd2 = open("o", O_RDWR), dupd = dup(fd);
	CHECK(fd >= 0 && fd2 >= 0 && dupd >= 0, "open o");
	CHECK(write(fd, "abcdef", 6) == 6, "write o");
	say("offsets after 6 bytes through one descriptor: its dup %lld, a separate open %lld",
	    (long long)lseek(dupd, 0, SEEK_CUR), (long long)lseek(fd2, 0, SEEK_CUR));
	CHECK(lseek(dupd, 0, SEEK_CUR) == 6 && lseek(fd2, 0, SEEK_CUR) == 0, "shared offsets");
	CHECK(write(fd2, "XY", 2) == 2, "write fd2");
	memset(buf, 0, sizeof buf);
	CHECK(pread(fd, buf, 6, 0) == 6, "pread o");
	say("the separate open wrote at its own offset 0: \"%s\"", buf);
	CHECK(strcmp(buf, "XYcdef") == 0, "own offset");
	pid_t pid = xfork();
	if (pid == 0)
		_exit(write(fd, "ghi", 3) == 3 ? 0 : 2);
	expect_exit(pid, 0, "child write");
	say("after a child writes 3 through the inherited descriptor: the parent's offset %lld",
	    (long long)lseek(fd, 0, SEEK_CUR));
	CHECK(lseek(fd, 0, SEEK_CUR) == 9, "fork shares offset");
	close(fd);
	close(fd2);
	close(dupd);
	CHECK(unlink("o") == 0, "unlink o");

	/* Two processes appending at once lose nothing. */
	fd = open("ap", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	CHECK(fd >= 0, "open ap");
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = xfork();
		if (kids[k] == 0) {
			char rec[50];
			memset(rec, 'A' + k, sizeof rec - 1);
			rec[49] = '\n';
			for (int i = 0; i < 200; i++)
				if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec)
					_exit(2);
			_exit(0);
		}
	}
	expect_exit(kids[0], 0, "appender A");
	expect_exit(kids[1], 0, "appender B");
	close(fd);
	fd = open("ap", O_RDONLY);
	static char apb[20000];
	CHECK(fd >= 0 && read_full(fd, apb, sizeof apb) == (ssize_t)sizeof apb && read(fd, buf, 1) == 0, "read ap");
	int na = 0, nb = 0, torn = 0;
	for (int i = 0; i < 400; i++) {
		char *r = apb + 50 * i;
		int same = r[49] == '\n';
		for (int j = 1; j < 49; j++)
			same &= r[j] == r[0];
		torn += !same;
		na += same && r[0] == 'A';
		nb += same && r[0] == 'B';
	}
	say("two processes appending 200 records each: %d from one, %d from the other, %d torn", na, nb, torn);
	CHECK(na == 200 && nb == 200 && torn == 0, "appends");
	close(fd);
	CHECK(unlink("ap") == 0, "unlink ap");

	/* RLIMIT_FSIZE: a write crossing it is cut short, one at it fails
	 * with EFBIG (SIGXFSZ ignored) or raises SIGXFSZ (default). */
	pid = xfork();
	if (pid == 0) {
		struct rlimit fl = { 1000, 1000 };
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &fl) != 0)
			_exit(2);
		int lf = open("lim", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		static char z[1500];
		if (lf < 0)
			_exit(3);
		ssize_t w1 = write(lf, z, sizeof z);
		errno = 0;
		ssize_t w2 = write(lf, z, 1);
		int e2 = errno;
		errno = 0;
		int t = ftruncate(lf, 2000);
		int et = errno;
		/* (No output here: the limit would apply to a stdout that is a file.) */
		_exit(w1 != 1000 ? 4 : w2 != -1 || e2 != EFBIG ? 5 : t != -1 || et != EFBIG ? 6 : 0);
	}
	expect_exit(pid, 0, "RLIMIT_FSIZE child (4: short write, 5: EFBIG write, 6: EFBIG ftruncate)");
	say("RLIMIT_FSIZE 1000: a 1500-byte write gives 1000, the next EFBIG, ftruncate to 2000 EFBIG");
	pid = xfork();
	if (pid == 0) {
		struct rlimit fl = { 1000, 1000 };
		if (setrlimit(RLIMIT_FSIZE, &fl) != 0)
			_exit(2);
		int lf = open("lim", O_WRONLY | O_APPEND);
		if (lf < 0)
			_exit(3);
		write(lf, "x", 1);
		_exit(5);
	}
	int fst = wait_for(pid);
	say("the same write with SIGXFSZ at its default: killed by SIGXFSZ %s",
	    yesno(WIFSIGNALED(fst) && WTERMSIG(fst) == SIGXFSZ));
	CHECK(WIFSIGNALED(fst) && WTERMSIG(fst) == SIGXFSZ, "SIGXFSZ");
	CHECK(stat("lim", &st) == 0 && unlink("lim") == 0, "unlink lim");
	say("the file stayed at %lld bytes", (long long)st.st_size);
	CHECK(st.st_size == 1000, "lim size");

	/* Inodes are counted. */
	struct statfs i0, i1;
	CHECK(statfs(".", &i0) == 0, "statfs i0");
	CHECK(close(open("inode", O_WRONLY | O_CREAT, 0644)) == 0 && statfs(".", &i1) == 0, "statfs i1");
	say("statfs: a new file takes an inode: %s", yesno(i1.f_ffree < i0.f_ffree && i1.f_files == i0.f_files));
	CHECK(i1.f_ffree < i0.f_ffree, "f_ffree");
	CHECK(unlink("inode") == 0, "unlink inode");

	/* A 4 MiB pattern, written in odd-sized pieces, read back whole. */
	const size_t big = 4u << 20;
	unsigned char *p = malloc(big), *q = malloc(big);
	CHECK(p && q, "malloc");
	for (size_t i = 0; i < big; i++)
		p[i] = pat(i);
	fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open big");
	for (size_t off = 0; off < big;) {
		size_t len = 65536 + 777;
		if (len > big - off)
			len = big - off;
		CHECK(write_all(fd, p + off, len) == 0, "write big");
		off += len;
	}
	CHECK(fstat(fd, &st) == 0, "fstat big");
	struct statfs sf3;
	CHECK(fstatfs(fd, &sf3) == 0, "fstatfs big");
	say("4 MiB written: size %lld, blocks*512 >= size: %s, free blocks fell: %s", (long long)st.st_size,
	    yesno(st.st_blocks * 512 >= st.st_size), yesno(sf3.f_bfree < sf.f_bfree));
	CHECK(st.st_size == (off_t)big && st.st_blocks * 512 >= st.st_size && sf3.f_bfree < sf.f_bfree, "big");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind big");
	memset(q, 0, big);
	n = read_full(fd, q, big);
	say("4 MiB read back: %zd bytes, pattern right: %s", n, yesno(memcmp(p, q, big) == 0));
	CHECK(n == (ssize_t)big && memcmp(p, q, big) == 0, "pattern");
	memset(q, 0, 10000);
	CHECK(pread(fd, q, 10000, 3000001) == 10000, "pread mid");
	say("pread of 10000 at 3000001: right %s", yesno(memcmp(q, p + 3000001, 10000) == 0));
	CHECK(memcmp(q, p + 3000001, 10000) == 0, "pread mid right");
	close(fd);
	CHECK(unlink("big") == 0, "unlink big");
	struct statfs sf4;
	CHECK(statfs(".", &sf4) == 0, "statfs after");
	say("free blocks back after unlink: %s", yesno(sf4.f_bfree > sf3.f_bfree));
	CHECK(sf4.f_bfree > sf3.f_bfree, "freed");
	free(p);
	free(q);

	CHECK(unlink("f") == 0 && rmdir("d") == 0, "clean up");
	return ctest_ok();
}

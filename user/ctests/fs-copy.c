/* fs-copy: in-kernel copies between files and pipes on a tmpfs. Usage:
 *   fs-copy DIR
 * DIR is a writable, empty directory on a tmpfs; everything is made under
 * it and removed again. Checks sendfile (file to file, file to pipe, with
 * and without an offset pointer), copy_file_range (offsets, errors),
 * splice (pipe to file, file to pipe) and tee. */
#include "ctest.h"
#include <sys/sendfile.h>
#include <sys/stat.h>

static const char TEXT[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static int mkfile(const char *name, const char *text)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, text, strlen(text)) == 0, "mkfile");
	return fd;
}

static const char *contents(int fd)
{
	static char buf[4][256];
	static int which;
	char *b = buf[which++ & 3];
	ssize_t n = pread(fd, b, 255, 0);
	CHECK(n >= 0, "pread contents");
	b[n] = 0;
	return b;
}

static off_t pos(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

static off_t size(int fd)
{
	struct stat st;
	CHECK(fstat(fd, &st) == 0, "fstat for size");
	return st.st_size;
}

int main(int argc, char **argv)
{
	ctest_start("fs-copy");
	CHECK(argc == 2, "usage: fs-copy DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	char buf[256];

	/* sendfile, file to file. */
	int in = mkfile("in", TEXT);
	CHECK(lseek(in, 10, SEEK_SET) == 10, "lseek in");
	int out = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(out >= 0, "open out");
	ssize_t n = sendfile(out, in, NULL, 5);
	say("sendfile 5 from in's offset 10: %zd, out \"%s\", offsets in %lld out %lld", n, contents(out),
	    (long long)pos(in), (long long)pos(out));
	CHECK(n == 5 && strcmp(contents(out), "abcde") == 0 && pos(in) == 15 && pos(out) == 5, "sendfile");
	off_t off = 2;
	n = sendfile(out, in, &off, 3);
	say("sendfile 3 from offset 2 by pointer: %zd, out \"%s\", pointer %lld, in's offset kept %lld", n,
	    contents(out), (long long)off, (long long)pos(in));
	CHECK(n == 3 && strcmp(contents(out), "abcde234") == 0 && off == 5 && pos(in) == 15, "sendfile ptr");
	off = 30;
	n = sendfile(out, in, &off, 100);
	say("sendfile 100 from offset 30 of 36: %zd, pointer %lld", n, (long long)off);
	CHECK(n == 6 && off == 36, "sendfile short");
	off = 100;
	n = sendfile(out, in, &off, 10);
	say("sendfile from beyond EOF: %zd", n);
	CHECK(n == 0 && off == 100, "sendfile eof");
	int wr = open("in", O_WRONLY);
	CHECK(wr >= 0, "open in write-only");
	FAILS_WITH(sendfile(out, wr, NULL, 1), EBADF, "sendfile from a write-only descriptor");
	close(wr);
	int ap = open("out", O_WRONLY | O_APPEND);
	CHECK(ap >= 0, "open out O_APPEND");
	FAILS_WITH(sendfile(ap, in, NULL, 1), EINVAL, "sendfile to an O_APPEND descriptor");
	close(ap);
	FAILS_WITH(sendfile(-1, in, NULL, 1), EBADF, "sendfile to a bad descriptor");

	/* sendfile, file to pipe. */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	CHECK(lseek(in, 0, SEEK_SET) == 0, "rewind in");
	n = sendfile(p[1], in, NULL, 10);
	memset(buf, 0, sizeof buf);
	ssize_t r = read(p[0], buf, sizeof buf);
	say("sendfile 10 to a pipe: %zd, the pipe gives \"%s\", in's offset %lld", n, buf, (long long)pos(in));
	CHECK(n == 10 && r == 10 && strcmp(buf, "0123456789") == 0 && pos(in) == 10, "sendfile pipe");
	off = 26;
	n = sendfile(p[1], in, &off, 4);
	memset(buf, 0, sizeof buf);
	r = read(p[0], buf, sizeof buf);
	say("sendfile 4 from offset 26 to a pipe: %zd \"%s\", pointer %lld, offset kept %lld", n, buf, (long long)off,
	    (long long)pos(in));
	CHECK(n == 4 && strcmp(buf, "qrst") == 0 && off == 30 && pos(in) == 10, "sendfile pipe ptr");

	/* copy_file_range. */
	int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(dst >= 0, "open dst");
	CHECK(lseek(in, 4, SEEK_SET) == 4, "lseek in 4");
	n = copy_file_range(in, NULL, dst, NULL, 6, 0);
	say("copy_file_range 6 with no pointers: %zd, dst \"%s\", offsets in %lld dst %lld", n, contents(dst),
	    (long long)pos(in), (long long)pos(dst));
	CHECK(n == 6 && strcmp(contents(dst), "456789") == 0 && pos(in) == 10 && pos(dst) == 6, "cfr");
	loff_t oi = 20, oo = 10;
	n = copy_file_range(in, &oi, dst, &oo, 4, 0);
	memset(buf, 1, sizeof buf);
	CHECK(pread(dst, buf, 14, 0) == 14, "pread dst");
	int hole0 = buf[6] == 0 && buf[7] == 0 && buf[8] == 0 && buf[9] == 0;
	say("copy_file_range 4 from 20 to 10 by pointers: %zd, pointers %lld %lld, offsets kept %lld %lld, "
	    "\"%.4s\" after a hole of zeros %s",
	    n, (long long)oi, (long long)oo, (long long)pos(in), (long long)pos(dst), buf + 10, yesno(hole0));
	CHECK(n == 4 && oi == 24 && oo == 14 && pos(in) == 10 && pos(dst) == 6 && memcmp(buf + 10, "klmn", 4) == 0 &&
		      hole0,
	      "cfr ptr");
	oi = 34;
	n = copy_file_range(in, &oi, dst, NULL, 10, 0);
	say("copy_file_range 10 from 34 of 36: %zd", n);
	CHECK(n == 2 && oi == 36, "cfr short");
	oi = 50;
	n = copy_file_range(in, &oi, dst, NULL, 10, 0);
	say("copy_file_range from beyond EOF: %zd", n);
	CHECK(n == 0, "cfr eof");
	oi = 0;
	oo = 5;
	FAILS_WITH(copy_file_range(in, &oi, in, &oo, 10, 0), EINVAL, "copy_file_range of overlapping ranges of one file");
	oo = 100;
	n = copy_file_range(in, &oi, in, &oo, 3, 0);
	say("copy_file_range within one file, not overlapping: %zd, size now %lld", n,
	    (long long)size(in));
	CHECK(n == 3 && size(in) == 103, "cfr same file");
	CHECK(ftruncate(in, 36) == 0, "truncate in back");
	FAILS_WITH(copy_file_range(in, NULL, dst, NULL, 1, 1), EINVAL, "copy_file_range with flags");
	ap = open("dst", O_WRONLY | O_APPEND);
	CHECK(ap >= 0, "open dst O_APPEND");
	FAILS_WITH(copy_file_range(in, NULL, ap, NULL, 1, 0), EBADF, "copy_file_range to an O_APPEND descriptor");
	close(ap);
	CHECK(mkdir("d", 0755) == 0, "mkdir d");
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open d");
	FAILS_WITH(copy_file_range(dfd, NULL, dst, NULL, 1, 0), EISDIR, "copy_file_range from a directory");
	close(dfd);
	FAILS_WITH(copy_file_range(p[0], NULL, dst, NULL, 1, 0), EINVAL, "copy_file_range from a pipe");

	/* splice. */
	int sp = open("sp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(sp >= 0, "open sp");
	CHECK(write_all(p[1], "spliced!", 8) == 0, "fill pipe");
	n = splice(p[0], NULL, sp, NULL, 5, 0);
	say("splice 5 from a pipe to a file: %zd, file \"%s\", file offset %lld", n, contents(sp), (long long)pos(sp));
	CHECK(n == 5 && strcmp(contents(sp), "splic") == 0 && pos(sp) == 5, "splice pipe->file");
	loff_t so = 20;
	n = splice(p[0], NULL, sp, &so, 10, 0);
	say("splice of the other 3 to offset 20 by pointer: %zd, pointer %lld, file offset kept %lld, size %lld", n,
	    (long long)so, (long long)pos(sp), (long long)size(sp));
	CHECK(n == 3 && so == 23 && pos(sp) == 5 && size(sp) == 23, "splice ptr");
	CHECK(lseek(in, 30, SEEK_SET) == 30, "lseek in 30");
	n = splice(in, NULL, p[1], NULL, 4, 0);
	memset(buf, 0, sizeof buf);
	r = read(p[0], buf, sizeof buf);
	say("splice 4 from a file to a pipe: %zd \"%s\", file offset %lld", n, buf, (long long)pos(in));
	CHECK(n == 4 && strcmp(buf, "uvwx") == 0 && pos(in) == 34, "splice file->pipe");
	so = 0;
	n = splice(in, &so, p[1], NULL, 3, 0);
	memset(buf, 0, sizeof buf);
	r = read(p[0], buf, sizeof buf);
	say("splice 3 from offset 0 by pointer to a pipe: %zd \"%s\", pointer %lld, offset kept %lld", n, buf,
	    (long long)so, (long long)pos(in));
	CHECK(n == 3 && strcmp(buf, "012") == 0 && so == 3 && pos(in) == 34, "splice file->pipe ptr");
	so = 1000;
	n = splice(in, &so, p[1], NULL, 3, 0);
	say("splice from beyond EOF: %zd", n);
	CHECK(n == 0, "splice eof");
	FAILS_WITH(splice(in, NULL, dst, NULL, 1, 0), EINVAL, "splice between two files");
	so = 0;
	FAILS_WITH(splice(p[0], &so, sp, NULL, 1, 0), ESPIPE, "splice with an offset pointer on the pipe");
	n = splice(p[0], NULL, sp, NULL, 1, SPLICE_F_NONBLOCK);
	say("splice from an empty pipe with SPLICE_F_NONBLOCK: %s", n == -1 ? ctest_errname(errno) : "succeeded");
	CHECK(n == -1 && errno == EAGAIN, "splice nonblock");
	int p2[2];
	CHECK(pipe(p2) == 0, "pipe 2");
	close(p2[1]);
	n = splice(p2[0], NULL, sp, NULL, 10, 0);
	say("splice from a pipe with no writer: %zd", n);
	CHECK(n == 0, "splice writer gone");
	close(p2[0]);

	/* tee. */
	CHECK(pipe(p2) == 0, "pipe 3");
	CHECK(write_all(p[1], "teeing", 6) == 0, "fill");
	n = tee(p[0], p2[1], 100, 0);
	char a[16] = { 0 }, b[16] = { 0 };
	ssize_t ra = read(p[0], a, sizeof a), rb = read(p2[0], b, sizeof b);
	say("tee: %zd; the source pipe still gives \"%s\" (%zd), the copy \"%s\" (%zd)", n, a, ra, b, rb);
	CHECK(n == 6 && ra == 6 && rb == 6 && strcmp(a, "teeing") == 0 && strcmp(b, "teeing") == 0, "tee");
	FAILS_WITH(tee(p[0], sp, 1, 0), EINVAL, "tee to a file");
	n = tee(p[0], p2[1], 10, SPLICE_F_NONBLOCK);
	say("tee from an empty pipe with SPLICE_F_NONBLOCK: %s", n == -1 ? ctest_errname(errno) : "succeeded");
	CHECK(n == -1 && errno == EAGAIN, "tee nonblock");

	/* Big copies: 1 MiB (and a bit) through each call. */
	const size_t big = (1u << 20) + 12345;
	unsigned char *pbuf = malloc(big), *qbuf = malloc(big);
	CHECK(pbuf && qbuf, "malloc");
	for (size_t i = 0; i < big; i++)
		pbuf[i] = (unsigned char)(i * 7 + (i >> 10));
	int src = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(src >= 0 && write_all(src, pbuf, big) == 0, "write src");
	const char *how[3] = { "sendfile", "copy_file_range", "splice through a pipe" };
	for (int k = 0; k < 3; k++) {
		int to = open("to", O_RDWR | O_CREAT | O_TRUNC, 0644);
		CHECK(to >= 0, "open to");
		off_t o = 0;
		loff_t lo = 0;
		size_t done = 0;
		int calls = 0, maxpiece = 0;
		while (done < big) {
			ssize_t got;
			if (k == 0) {
				got = sendfile(to, src, &o, big - done);
			} else if (k == 1) {
				got = copy_file_range(src, &lo, to, NULL, big - done, 0);
			} else {
				got = splice(src, &lo, p[1], NULL, big - done, 0);
				if (got > 0) {
					ssize_t left = got;
					while (left > 0) {
						ssize_t m = splice(p[0], NULL, to, NULL, (size_t)left, 0);
						CHECK(m > 0, "splice pipe->to");
						left -= m;
					}
				}
			}
			CHECK(got > 0, how[k]);
			if (got > maxpiece)
				maxpiece = (int)got;
			done += (size_t)got;
			calls++;
		}
		memset(qbuf, 0, big);
		CHECK(pread(to, qbuf, big, 0) == (ssize_t)big, "pread to");
		say("%s of %zu bytes: right %s, size %lld%s", how[k], big, yesno(memcmp(pbuf, qbuf, big) == 0),
		    (long long)size(to), k == 2 ? (maxpiece <= 65536 ? ", at most 64 KiB a splice" : ", big splices") : "");
		CHECK(memcmp(pbuf, qbuf, big) == 0 && size(to) == (off_t)big, "big copy");
		CHECK(k != 2 || maxpiece <= 65536, "pipe-sized splices");
		close(to);
	}
	free(pbuf);
	free(qbuf);
	CHECK(unlink("to") == 0, "unlink to");
	off = -1;
	FAILS_WITH(sendfile(out, src, &off, 1), EINVAL, "sendfile from a negative offset");
	off = 0;
	n = sendfile(out, src, &off, 0);
	say("sendfile of 0 bytes: %zd", n);
	CHECK(n == 0 && off == 0, "sendfile 0");
	CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0, "nonblocking pipe");
	size_t filled = 0;
	for (;;) {
		ssize_t w = write(p[1], buf, sizeof buf);
		if (w < 0)
			break;
		filled += (size_t)w;
	}
	say("a non-blocking pipe filled with %zu bytes", filled);
	CHECK(errno == EAGAIN && filled == 65536, "fill pipe");
	off = 0;
	FAILS_WITH(sendfile(p[1], src, &off, 10), EAGAIN, "sendfile to a full non-blocking pipe");
	close(src);
	CHECK(unlink("src") == 0, "unlink src");

	/* Clean up. */
	close(p[0]);
	close(p[1]);
	close(p2[0]);
	close(p2[1]);
	close(in);
	close(out);
	close(dst);
	close(sp);
	CHECK(unlink("in") == 0 && unlink("out") == 0 && unlink("dst") == 0 && unlink("sp") == 0 && rmdir("d") == 0,
	      "clean up");
	return ctest_ok();
}

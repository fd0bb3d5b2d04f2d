/* fs-race: reads that race with writers, truncates and unlinks of the
 * same file, and reads of a file larger than any one request. Usage:
 *   fs-race DIR
 * DIR is a writable, empty directory on a tmpfs. A child rewrites a file
 * over and over (truncate to 0, then the same pattern again, or a
 * truncate to half) while the parent reads it whole; every byte a read
 * returns must be the pattern's (never a stale page of another file,
 * never garbage), and every read's length one of the sizes the file had.
 * Then the same with a reader in a child and unlinks and re-creates, and
 * one 3 MiB file read in one call, in 1 MiB calls and at odd offsets. */
#include "ctest.h"
#include <sys/stat.h>

#define SIZE (64 * 1024)

static unsigned char pat(size_t i)
{
	return (unsigned char)((i * 131u + (i >> 12) * 7u + 1) & 0xff);
}

static void fill(unsigned char *b, size_t n, size_t from)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(from + i);
}

/* Whether `b[0..n)` holds the pattern from offset `from`. */
static int is_pat(const unsigned char *b, size_t n, size_t from)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(from + i))
			return 0;
	return 1;
}

static void put(int fd, const unsigned char *b, size_t n)
{
	CHECK(write_all(fd, b, n) == 0, "write");
}

int main(int argc, char **argv)
{
	ctest_start("fs-race");
	CHECK(argc == 2, "usage: fs-race DIR");
	CHECK(chdir(argv[1]) == 0, "chdir DIR");
	static unsigned char want[SIZE], got[SIZE];
	fill(want, SIZE, 0);

	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "create f");
	put(fd, want, SIZE);
	close(fd);

	/* A writer child: truncate to 0 and write it again, or cut it to
	 * half and grow it back, 300 times. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		int w = open("f", O_WRONLY);
		CHECK(w >= 0, "child open");
		for (int i = 0; i < 300; i++) {
			off_t keep = (i % 2) ? SIZE / 2 : 0;
			CHECK(ftruncate(w, keep) == 0, "ftruncate");
			CHECK(lseek(w, keep, SEEK_SET) == keep, "lseek");
			put(w, want + keep, SIZE - (size_t)keep);
		}
		_exit(0);
	}
	int r = open("f", O_RDONLY);
	CHECK(r >= 0, "open f");
	int reads = 0, good = 1, sizes_ok = 1, status;
	while (waitpid(c, &status, WNOHANG) == 0 || reads < 50) {
		ssize_t n = pread(r, got, SIZE, 0);
		CHECK(n >= 0, "pread");
		good &= is_pat(got, (size_t)n, 0);
		sizes_ok &= n <= SIZE;
		reads++;
		if (reads > 100000)
			break;
	}
	waitpid_eintr(c, &status, 0);
	say("writer finished: %s", yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	say("racing reads saw only the file's bytes: %s, lengths within its sizes: %s", yesno(good),
	    yesno(sizes_ok));
	ssize_t n = pread(r, got, SIZE, 0);
	say("after the writer: %zd bytes, the pattern: %s", n, yesno(n == SIZE && is_pat(got, SIZE, 0)));
	close(r);

	/* A reader child holding the file open while the parent unlinks it
	 * and makes a new one of the same name with other bytes: the old
	 * descriptor reads the old file, whole. */
	r = open("f", O_RDONLY);
	CHECK(r >= 0, "open f again");
	CHECK(pread(r, got, SIZE, 0) == SIZE, "read before unlink");
	CHECK(unlink("f") == 0, "unlink");
	fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "re-create f");
	static unsigned char other[SIZE];
	memset(other, 0x5a, SIZE);
	put(fd, other, SIZE);
	c = fork();
	CHECK(c >= 0, "fork reader");
	if (c == 0) {
		int ok = pread(r, got, SIZE, 0) == SIZE && is_pat(got, SIZE, 0);
		int ok2 = pread(fd, got, SIZE, 0) == SIZE && got[0] == 0x5a && got[SIZE - 1] == 0x5a;
		_exit(ok && ok2 ? 0 : 1);
	}
	waitpid_eintr(c, &status, 0);
	say("unlinked file still read whole by its descriptor, new one by its own: %s",
	    yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	/* The old file's last descriptor goes: its pages go with it. */
	close(r);
	CHECK(pread(fd, got, SIZE, 0) == SIZE && got[100] == 0x5a, "new file intact");
	close(fd);
	CHECK(unlink("f") == 0, "unlink new f");

	/* A 3 MiB file: in one read, in 1 MiB reads, and at odd offsets. */
	size_t big = 3u << 20;
	unsigned char *b = malloc(big), *g = malloc(big + 4096);
	CHECK(b && g, "malloc");
	fill(b, big, 0);
	fd = open("big", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "create big");
	put(fd, b, big);
	ssize_t all = pread(fd, g, big + 4096, 0);
	say("one read of a 3 MiB file: %zd bytes, right: %s", all,
	    yesno(all == (ssize_t)big && is_pat(g, big, 0)));
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	size_t total = 0;
	int right = 1, calls = 0;
	for (;;) {
		ssize_t k = read(fd, g, 1u << 20);
		CHECK(k >= 0, "read 1 MiB");
		if (k == 0)
			break;
		right &= is_pat(g, (size_t)k, total);
		total += (size_t)k;
		calls++;
	}
	say("1 MiB reads: %zu bytes in %d calls, right: %s", total, calls, yesno(right));
	int odd = 1;
	for (size_t off = 1; off < big; off += 777777) {
		ssize_t k = pread(fd, g, 300000, (off_t)off);
		size_t expect = big - off < 300000 ? big - off : 300000;
		odd &= k == (ssize_t)expect && is_pat(g, expect, off);
	}
	say("reads at odd offsets across pages: right: %s", yesno(odd));
	/* Past the end, and at it. */
	say("read at the end: %zd, past it: %zd", pread(fd, g, 10, (off_t)big),
	    pread(fd, g, 10, (off_t)big + 5000));
	close(fd);
	CHECK(unlink("big") == 0, "unlink big");
	free(b);
	free(g);
	return ctest_ok();
}

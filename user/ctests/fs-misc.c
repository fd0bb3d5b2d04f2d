/* fs-misc: the file hints and unnamed files. Usage: fs-misc DIR (a
 * writable directory on a tmpfs). Checks posix_fadvise (advice known and
 * unknown, a pipe), readahead, sync_file_range (its argument rules) and
 * memfd_create (an unnamed file that reads, writes, truncates and maps,
 * MFD_CLOEXEC, bad flags). */
#include "ctest.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static const char *err(long r)
{
	return r < 0 ? strerror(errno) : "ok";
}

int main(int argc, char **argv)
{
	ctest_start("fs-misc");
	CHECK(argc == 2, "usage: fs-misc DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/fs-misc-file", argv[1]);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "open");
	CHECK(write(fd, "0123456789", 10) == 10, "write");
	say("fadvise SEQUENTIAL: %d", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
	say("fadvise DONTNEED: %d", posix_fadvise(fd, 0, 10, POSIX_FADV_DONTNEED));
	say("fadvise unknown advice: %s", strerror(posix_fadvise(fd, 0, 0, 99)));
	say("fadvise negative length: %s", strerror(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL)));
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	say("fadvise of a pipe: %s", strerror(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL)));
	say("fadvise of a bad descriptor: %s", strerror(posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL)));
	say("readahead: %s", err(syscall(SYS_readahead, fd, 0L, 4096L)));
	say("readahead of a pipe: %s", err(syscall(SYS_readahead, p[0], 0L, 4096L)));
	say("sync_file_range: %s", err(syscall(SYS_sync_file_range, fd, 0L, 10L, 2)));
	say("sync_file_range with bad flags: %s", err(syscall(SYS_sync_file_range, fd, 0L, 10L, 8)));
	say("sync_file_range at a negative offset: %s", err(syscall(SYS_sync_file_range, fd, -1L, 10L, 0)));
	say("sync_file_range of a pipe: %s", err(syscall(SYS_sync_file_range, p[0], 0L, 10L, 0)));
	close(p[0]);
	close(p[1]);
	close(fd);
	CHECK(unlink(path) == 0, "unlink");

	int m = (int)syscall(SYS_memfd_create, "bench", 1 /* MFD_CLOEXEC */);
	CHECK(m >= 0, "memfd_create");
	say("memfd close-on-exec: %s", yesno(fcntl(m, F_GETFD) == FD_CLOEXEC));
	struct stat st;
	CHECK(fstat(m, &st) == 0, "fstat memfd");
	say("memfd: regular %s, size %lld, nlink %ld", yesno(S_ISREG(st.st_mode)), (long long)st.st_size,
	    (long)st.st_nlink);
	CHECK(write(m, "memory file", 11) == 11, "write memfd");
	CHECK(ftruncate(m, 8192) == 0, "ftruncate memfd");
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	CHECK(map != MAP_FAILED, "mmap memfd");
	say("memfd through the mapping: \"%.11s\"", map);
	memcpy(map + 4096, "second", 6);
	char back[7] = { 0 };
	CHECK(pread(m, back, 6, 4096) == 6, "pread memfd");
	say("a store through the mapping reads back: \"%s\"", back);
	CHECK(munmap(map, 8192) == 0, "munmap");
	CHECK(fstat(m, &st) == 0, "fstat memfd again");
	say("memfd size after ftruncate: %lld", (long long)st.st_size);
	close(m);
	errno = 0;
	say("memfd_create with bad flags: %s", err(syscall(SYS_memfd_create, "x", 0x100)));
	char longname[300];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	say("memfd_create with a 299-byte name: %s", err(syscall(SYS_memfd_create, longname, 0)));
	say("fs-misc: ok");
	return 0;
}

/* cputime: CPU time as a process sees it: getrusage(RUSAGE_SELF and
 * RUSAGE_CHILDREN), times(2), /proc/self/stat's utime/stime and cutime,
 * /proc/stat's cpu line, /proc/uptime and /proc/loadavg. Each figure is
 * checked for what Linux guarantees (it grows while the process computes;
 * a collected child's time moves to its parent's children's), never for
 * an amount: the machine may be busy. */
#include "ctest.h"

#include <sys/resource.h>
#include <sys/times.h>

/* Computes for `ms` milliseconds of wall time and returns a value the
 * compiler cannot drop. */
static unsigned long spin_ms(long ms)
{
	volatile unsigned long x = 1;
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
	while (now_ns() < end)
		for (int i = 0; i < 10000; i++)
			x = x * 2862933555777941757ul + 3037000493ul;
	return x;
}

static long rusage_us(int who)
{
	struct rusage ru;
	CHECK(getrusage(who, &ru) == 0, "getrusage");
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* Fields 14 to 17 (utime, stime, cutime, cstime) of /proc/self/stat. */
static void proc_stat_times(long t[4])
{
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY);
	CHECK(fd >= 0, "open /proc/self/stat");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	CHECK(n > 0, "read /proc/self/stat");
	close(fd);
	buf[n] = 0;
	/* The fields after the command name, which ends at the last ')'. */
	char *p = strrchr(buf, ')');
	CHECK(p != NULL, "stat has a command name");
	p += 2;
	/* p is at field 3 (state). */
	for (int field = 3; field < 14; field++) {
		p = strchr(p, ' ');
		CHECK(p != NULL, "stat has 17 fields");
		p++;
	}
	CHECK(sscanf(p, "%ld %ld %ld %ld", &t[0], &t[1], &t[2], &t[3]) == 4, "stat times parse");
}

/* The sum of the cpu line's first four fields (user nice system idle). */
static unsigned long long cpu_line_total(void)
{
	char buf[4096];
	int fd = open("/proc/stat", O_RDONLY);
	CHECK(fd >= 0, "open /proc/stat");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	CHECK(n > 0, "read /proc/stat");
	close(fd);
	buf[n] = 0;
	unsigned long long u, ni, s, id;
	CHECK(sscanf(buf, "cpu %llu %llu %llu %llu", &u, &ni, &s, &id) == 4, "cpu line parses");
	return u + ni + s + id;
}

int main(void)
{
	ctest_start("cputime");
	long hz = sysconf(_SC_CLK_TCK);
	say("clock ticks per second: %ld", hz);

	/* Time grows while the process computes: spin until the kernel has
	 * charged it 50 ms (at most 20 s of wall time). */
	long before = rusage_us(RUSAGE_SELF);
	CHECK(before >= 0, "own time is not negative");
	unsigned long long cpu0 = cpu_line_total();
	int grew = 0;
	for (int i = 0; i < 400 && !grew; i++) {
		spin_ms(50);
		grew = rusage_us(RUSAGE_SELF) >= before + 50000;
	}
	say("getrusage(RUSAGE_SELF) grows by 50 ms while computing: %s", yesno(grew));

	struct tms t;
	clock_t now = times(&t);
	CHECK(now != (clock_t)-1, "times");
	say("times: own user+system > 0: %s, children's 0: %s",
	    yesno(t.tms_utime + t.tms_stime > 0), yesno(t.tms_cutime + t.tms_cstime == 0));
	long st[4];
	proc_stat_times(st);
	say("/proc/self/stat utime+stime > 0: %s, cutime+cstime 0: %s", yesno(st[0] + st[1] > 0),
	    yesno(st[2] + st[3] == 0));
	say("/proc/stat cpu time grew: %s", yesno(cpu_line_total() > cpu0));
	say("getrusage(RUSAGE_CHILDREN) before any child: %ld", rusage_us(RUSAGE_CHILDREN));

	/* A child computes; once collected, its time is the parent's
	 * children's. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		/* 50 ms at least: whole clock ticks in times() on Linux. */
		for (int i = 0; i < 400 && rusage_us(RUSAGE_SELF) < 50000; i++)
			spin_ms(50);
		_exit(rusage_us(RUSAGE_SELF) >= 50000 ? 0 : 3);
	}
	int status;
	CHECK(waitpid_eintr(c, &status, 0) == c, "waitpid");
	say("child computed: %s", yesno(WIFEXITED(status) && WEXITSTATUS(status) == 0));
	say("getrusage(RUSAGE_CHILDREN) after: > 0: %s", yesno(rusage_us(RUSAGE_CHILDREN) > 0));
	times(&t);
	say("times: children's user+system > 0: %s", yesno(t.tms_cutime + t.tms_cstime > 0));
	proc_stat_times(st);
	say("/proc/self/stat cutime+cstime > 0: %s", yesno(st[2] + st[3] > 0));

	/* /proc/uptime: two numbers, idle summed over CPUs. */
	char buf[256];
	int fd = open("/proc/uptime", O_RDONLY);
	CHECK(fd >= 0, "open /proc/uptime");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	CHECK(n > 0, "read /proc/uptime");
	close(fd);
	buf[n] = 0;
	double up, idle;
	CHECK(sscanf(buf, "%lf %lf", &up, &idle) == 2, "uptime parses");
	say("/proc/uptime: up > 0: %s, idle >= 0: %s", yesno(up > 0), yesno(idle >= 0));

	/* /proc/loadavg: three averages, running/total, last pid. */
	fd = open("/proc/loadavg", O_RDONLY);
	CHECK(fd >= 0, "open /proc/loadavg");
	n = read(fd, buf, sizeof buf - 1);
	CHECK(n > 0, "read /proc/loadavg");
	close(fd);
	buf[n] = 0;
	double l1, l5, l15;
	int running, total, last;
	CHECK(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last) == 6,
	      "loadavg parses");
	say("/proc/loadavg: averages >= 0: %s, running >= 1: %s, running <= total: %s",
	    yesno(l1 >= 0 && l5 >= 0 && l15 >= 0), yesno(running >= 1), yesno(running <= total));
	double sys[3];
	CHECK(getloadavg(sys, 3) == 3, "getloadavg");
	say("getloadavg: averages >= 0: %s", yesno(sys[0] >= 0 && sys[1] >= 0 && sys[2] >= 0));
	return ctest_ok();
}

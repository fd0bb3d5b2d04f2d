/* /sbin/init for ExoV6: process 1, started by the system server with the
 * program named on the kernel command line (init=/path args...) as its
 * arguments, or /bin/sh. It runs that program in a child, reaps every
 * orphan that is re-parented to it meanwhile, and when the program ends
 * reports how and exits with its status (the code, or 128 + the signal
 * number), which the system server turns into the machine's exit status
 * when `shutdown` is on the command line.
 *
 * Static C against musl: it runs on the library OS like any program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *dflt[] = { "/bin/sh", NULL };
    char **prog = argc > 1 ? argv + 1 : dflt;

    fprintf(stderr, "init: running %s\n", prog[0]);
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "init: fork: %s\n", strerror(errno));
        return 127;
    }
    if (child == 0) {
        execv(prog[0], prog);
        fprintf(stderr, "init: cannot run %s: %s\n", prog[0], strerror(errno));
        _exit(127);
    }
    for (;;) {
        int status;
        pid_t p = wait(&status);
        if (p < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "init: wait: %s\n", strerror(errno));
            return 127;
        }
        if (p != child)
            continue; /* an orphan, reaped */
        if (WIFEXITED(status)) {
            fprintf(stderr, "init: %s exited with status %d\n", prog[0], WEXITSTATUS(status));
            return WEXITSTATUS(status);
        }
        if (WIFSIGNALED(status)) {
            fprintf(stderr, "init: %s killed by signal %d\n", prog[0], WTERMSIG(status));
            return 128 + WTERMSIG(status);
        }
    }
}

/* tiny: the program the fork-exec-wait benchmark of bench.c executes.
 * It exits with status 0 at once; bench.c checks that status.
 * Built static with `musl-gcc -static -O2` by `cargo xtask bench`. */

int main(void)
{
    return 0;
}

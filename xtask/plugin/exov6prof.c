/*
 * exov6prof: the QEMU TCG plugin behind `cargo xtask profile`.
 *
 * It counts how often every guest instruction executes, keyed by its
 * virtual address and its bytes (the same address may hold different
 * code in different address spaces), and writes the counts to a file
 * when QEMU exits. `cargo xtask profile` attributes them to symbols and
 * classifies the instructions (privileged, locked, `rep`); this file
 * only counts.
 *
 * Counting is limited to windows between marker instructions: `rdtsc`
 * (0f 31) executed at an address in [marker_lo, marker_hi) -- the
 * benchmark program's own reads of the TSC around a timed batch. Marker
 * executions are numbered from 0; windows open at marker
 * first + k * period and close at marker first + k * period + span, for
 * k = 0 .. windows - 1. Without marker_lo the whole run is counted.
 *
 * Arguments (QEMU 7.2: `-plugin PATH,NAME=VALUE,...`):
 *   out=PATH          where the counts go (required)
 *   marker_lo=ADDR    marker range (hex with 0x, or decimal)
 *   marker_hi=ADDR
 *   first=N period=N span=N windows=N
 *
 * Output: a header line, `markers N` (marker executions seen),
 * `windows N` (windows closed), `open 0|1`, then one line per
 * instruction that ran inside a window:
 *   i VADDR-hex BYTES-hex COUNT-in-windows
 *
 * QEMU 7.2 implements plugin API version 1. Debian does not ship
 * qemu-plugin.h, so the few types and functions used here are declared
 * below from the API's documented signatures.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the QEMU plugin API (version 1), as far as it is used ---- */

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* not read */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- records ---- */

#define MAX_INSN 16

struct rec {
    uint64_t count; /* executions since the start (inline add) */
    uint64_t base;  /* count when the current window opened */
    uint64_t win;   /* executions inside closed windows */
    uint64_t vaddr;
    uint8_t len;
    uint8_t bytes[MAX_INSN];
    struct rec *next; /* hash chain */
};

static struct rec **table; /* hash buckets */
static size_t table_size;  /* a power of two */
static struct rec **all;   /* every record, in creation order */
static size_t n_all, cap_all;

static const char *out_path;
static uint64_t marker_lo, marker_hi;
static int have_markers;
static uint64_t first, period = 2, span = 1, n_windows = UINT64_MAX;
static uint64_t markers, windows_done;
static int open_now;

static void die(const char *why)
{
    fprintf(stderr, "exov6prof: %s\n", why);
    exit(1);
}

static uint64_t hash(uint64_t vaddr, const uint8_t *b, size_t len)
{
    uint64_t h = vaddr * 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static void grow(void)
{
    size_t size = table_size ? table_size * 2 : 1 << 16;
    struct rec **t = calloc(size, sizeof *t);
    if (!t)
        die("out of memory");
    for (size_t i = 0; i < n_all; i++) {
        struct rec *r = all[i];
        size_t k = hash(r->vaddr, r->bytes, r->len) & (size - 1);
        r->next = t[k];
        t[k] = r;
    }
    free(table);
    table = t;
    table_size = size;
}

/* The record of the instruction at `vaddr` with these bytes (made if new). */
static struct rec *lookup(uint64_t vaddr, const uint8_t *b, size_t len)
{
    if (len > MAX_INSN)
        len = MAX_INSN;
    if (n_all * 2 >= table_size)
        grow();
    size_t k = hash(vaddr, b, len) & (table_size - 1);
    for (struct rec *r = table[k]; r; r = r->next)
        if (r->vaddr == vaddr && r->len == len && memcmp(r->bytes, b, len) == 0)
            return r;
    struct rec *r = calloc(1, sizeof *r);
    if (!r)
        die("out of memory");
    r->vaddr = vaddr;
    r->len = (uint8_t)len;
    memcpy(r->bytes, b, len);
    /* count = base = 0: a record made while a window is open has all of
     * its executions inside it; window_open() sets base for the others. */
    r->next = table[k];
    table[k] = r;
    if (n_all == cap_all) {
        cap_all = cap_all ? cap_all * 2 : 1 << 16;
        all = realloc(all, cap_all * sizeof *all);
        if (!all)
            die("out of memory");
    }
    all[n_all++] = r;
    return r;
}

/* ---- windows ---- */

static void window_open(void)
{
    for (size_t i = 0; i < n_all; i++)
        all[i]->base = all[i]->count;
    open_now = 1;
}

static void window_close(void)
{
    for (size_t i = 0; i < n_all; i++)
        all[i]->win += all[i]->count - all[i]->base;
    open_now = 0;
    windows_done++;
}

static void on_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    uint64_t m = markers++;
    if (m < first)
        return;
    uint64_t k = (m - first) / period, r = (m - first) % period;
    if (k >= n_windows)
        return;
    if (r == 0 && !open_now)
        window_open();
    else if (r == span && open_now)
        window_close();
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *b = qemu_plugin_insn_data(insn);
        size_t len = qemu_plugin_insn_size(insn);
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        struct rec *r = lookup(vaddr, b, len);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &r->count, 1);
        if (have_markers && len == 2 && b[0] == 0x0f && b[1] == 0x31 && vaddr >= marker_lo &&
            vaddr < marker_hi)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (!have_markers) {
        /* The whole run is the one window. */
        for (size_t i = 0; i < n_all; i++)
            all[i]->win = all[i]->count;
        windows_done = 1;
    }
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "exov6prof: cannot write %s\n", out_path);
        return;
    }
    fprintf(f, "exov6prof 1\nmarkers %llu\nwindows %llu\nopen %d\n", (unsigned long long)markers,
            (unsigned long long)windows_done, open_now);
    for (size_t i = 0; i < n_all; i++) {
        struct rec *r = all[i];
        if (!r->win)
            continue;
        fprintf(f, "i %llx ", (unsigned long long)r->vaddr);
        for (size_t j = 0; j < r->len; j++)
            fprintf(f, "%02x", r->bytes[j]);
        fprintf(f, " %llu\n", (unsigned long long)r->win);
    }
    fclose(f);
}

/* ---- arguments ---- */

static uint64_t number(const char *name, const char *v)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 0);
    if (!*v || *end) {
        fprintf(stderr, "exov6prof: %s=%s is not a number\n", name, v);
        exit(1);
    }
    return n;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info, int argc,
                                                               char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        if (!eq) {
            fprintf(stderr, "exov6prof: argument %s is not NAME=VALUE\n", a);
            return -1;
        }
        size_t n = (size_t)(eq - a);
        const char *v = eq + 1;
#define IS(s) (n == strlen(s) && strncmp(a, s, n) == 0)
        if (IS("out"))
            out_path = v;
        else if (IS("marker_lo"))
            marker_lo = number("marker_lo", v), have_markers = 1;
        else if (IS("marker_hi"))
            marker_hi = number("marker_hi", v);
        else if (IS("first"))
            first = number("first", v);
        else if (IS("period"))
            period = number("period", v);
        else if (IS("span"))
            span = number("span", v);
        else if (IS("windows"))
            n_windows = number("windows", v);
        else {
            fprintf(stderr, "exov6prof: unknown argument %s\n", a);
            return -1;
        }
#undef IS
    }
    if (!out_path) {
        fprintf(stderr, "exov6prof: out=PATH is required\n");
        return -1;
    }
    if (period == 0 || span == 0 || span >= period) {
        fprintf(stderr, "exov6prof: want 0 < span < period\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}

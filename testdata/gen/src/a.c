/* Fixture for btfkit gen: compiled with gcc and linked with `ld -r` like a kernel module
 * (see ../README.md). Covers the C types pahole encodes and the function and variable
 * selection rules. */
#include <stdarg.h>
#include <stddef.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef _Bool bool;

#define __percpu_var __attribute__((section(".data..percpu")))

enum colour { RED, GREEN = 5, BLUE = -3 };
enum big { BIG_A = 1, BIG_B = 0x100000000ULL };
enum __attribute__((packed)) tiny { T0, T1, T2 };
enum { ANON_A = 7 };

struct list_head { struct list_head *next, *prev; };

struct bits {
	u32 a : 3;
	u32 b : 13;
	int c : 7;
	u64 d : 40;
	u8 e : 1;
	bool f : 1;
	enum colour g : 4;
	u16 h;
	long long i : 33;
};

union number {
	int i;
	float f;
	double d;
	long double ld;
	struct { u16 lo, hi; } parts;
	u8 bytes[4];
};

struct node {
	struct list_head list;
	const char *name;
	volatile unsigned long flags;
	union number value;
	struct bits bits;
	struct node *(*next_fn)(struct node *, int, ...);
	void (*cb)(void);
	int matrix[3][4];
	char grid[2][3][5];
	struct {
		int x, y;
		union { long l; void *p; };
	} anon;
	enum colour colour;
	enum big big;
	enum tiny tiny;
	u8 tail[];
};

struct opaque;
struct with_opaque { struct opaque *o; const struct opaque *co; int *restrict r; };

struct packed_pair { char c; int i; } __attribute__((packed));

typedef struct node node_t;
typedef int (*handler_t)(node_t *n, void *data);
typedef const volatile int cv_int;

/* per-CPU variables (the only ones pahole encodes for modules) */
__percpu_var int pcpu_counter;
__percpu_var struct node pcpu_node;
__percpu_var static u64 pcpu_static[4];
__percpu_var cv_int pcpu_cv;
__percpu_var char __UNIQUE_ID_filtered;

/* ordinary variables: not encoded */
int global_counter = 3;
static handler_t handlers[4];

static int __attribute__((noinline)) sum(int n, ...)
{
	va_list ap;
	int s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, int);
	va_end(ap);
	return s;
}

/* an unused parameter gets optimized away: still encoded (ABI unchanged) */
int __attribute__((noinline)) uses_first(int used, int unused)
{
	return used * 2;
}

/* a static function gcc clones with fewer parameters (.isra / .constprop) */
static int __attribute__((noinline)) clone_me(struct node *n, int k, int unused)
{
	return n->colour + k + (n->name ? n->name[0] : 0);
}

int call_clone(struct node *n)
{
	return clone_me(n, 3, 0) + clone_me(n, 3, 1);
}

/* more parameters than argument registers, a struct by value on the stack */
long many(long a, long b, long c, long d, long e, long f, struct packed_pair p, struct node n)
{
	return a + b + c + d + e + f + p.i + n.colour;
}

/* same name as a static function in b.c with another prototype: inconsistent */
static int __attribute__((noinline)) twice(int x)
{
	return x * 2;
}

int use_twice_a(int x)
{
	return twice(x) + handlers[x & 3](NULL, NULL);
}

int my_kfunc(struct node *n, u64 flags)
{
	return n ? (int)flags : sum(3, 1, 2, 3);
}

struct with_opaque *get_wo(struct with_opaque *w, bool b, float f, double d)
{
	return b && f > d ? w : NULL;
}

static inline int inlined_only(int x) { return x + 1; }

int use_inline(int y)
{
	return inlined_only(y) + pcpu_counter + pcpu_static[y & 3] + pcpu_cv;
}

/* .BTF_ids as include/linux/btf_ids.h lays them out: a kfunc set8 (listed out of id
 * order, so that resolve_btfids' sort moves the pairs with their flags), a plain set, and
 * a BTF_ID_LIST naming module types, a type the module shares with vmlinux, a vmlinux-only
 * type and a type that is nowhere (left unresolved) */
asm(".pushsection .BTF_ids,\"a\"\n"
    ".local __BTF_ID__set8__fixture_kfuncs\n"
    "__BTF_ID__set8__fixture_kfuncs:\n"
    ".zero 4\n"
    ".long 1\n"
    ".local __BTF_ID__func__use_inline__1\n"
    "__BTF_ID__func__use_inline__1:\n"
    ".zero 4\n"
    ".long 0x5\n"
    ".local __BTF_ID__func__my_kfunc__2\n"
    "__BTF_ID__func__my_kfunc__2:\n"
    ".zero 4\n"
    ".long 0x1000\n"
    ".size __BTF_ID__set8__fixture_kfuncs, .-__BTF_ID__set8__fixture_kfuncs\n"
    ".local __BTF_ID__set__fixture_set\n"
    "__BTF_ID__set__fixture_set:\n"
    ".zero 4\n"
    ".local __BTF_ID__func__use_inline__3\n"
    "__BTF_ID__func__use_inline__3:\n"
    ".zero 4\n"
    ".local __BTF_ID__func__my_kfunc__4\n"
    "__BTF_ID__func__my_kfunc__4:\n"
    ".zero 4\n"
    ".size __BTF_ID__set__fixture_set, .-__BTF_ID__set__fixture_set\n"
    ".local fixture_list\n"
    "fixture_list:\n"
    ".local __BTF_ID__struct__node__5\n"
    "__BTF_ID__struct__node__5:\n"
    ".zero 4\n"
    ".local __BTF_ID__typedef__node_t__6\n"
    "__BTF_ID__typedef__node_t__6:\n"
    ".zero 4\n"
    ".local __BTF_ID__union__number__7\n"
    "__BTF_ID__union__number__7:\n"
    ".zero 4\n"
    ".local __BTF_ID__struct__list_head__8\n"
    "__BTF_ID__struct__list_head__8:\n"
    ".zero 4\n"
    ".local __BTF_ID__struct__task_struct__9\n"
    "__BTF_ID__struct__task_struct__9:\n"
    ".zero 4\n"
    ".local __BTF_ID__struct__no_such_type__10\n"
    "__BTF_ID__struct__no_such_type__10:\n"
    ".zero 4\n"
    ".popsection\n");

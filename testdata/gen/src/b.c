/* Second unit of the btfkit gen fixture (see a.c). */
typedef unsigned long long u64;

struct list_head { struct list_head *next, *prev; };

/* the same struct as in a.c, seen from another unit: deduplicated */
struct pair { int a; long b; };

__attribute__((section(".data..percpu"))) struct pair pcpu_pair;

static int __attribute__((noinline)) twice(long x, long y)
{
	return x + y;
}

int use_twice_b(long x)
{
	return twice(x, x);
}

struct list_head *first(struct list_head *h)
{
	return h->next == h ? 0 : h->next;
}

/* uses a type declared only, never defined, in this unit */
struct node;
int node_user(struct node *n, u64 v)
{
	return n != 0 && v;
}

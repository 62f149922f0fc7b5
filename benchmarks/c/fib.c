/* The naive doubly recursive Fibonacci in C: the reference that
 * fastkernels.fibonacci_recursive is compared with (gcc -O2). */
#include <stdint.h>

uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

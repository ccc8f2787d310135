/* Between the two XXH3 builds (AVX2 and baseline) and their dispatch. */
#ifndef SY_XXH_INTERNAL_H
#define SY_XXH_INTERNAL_H
#include <stddef.h>
XXH128_hash_t sy_xxh3_128_avx2(const void *p, size_t n);
void sy_xxh3_128_update_avx2(void *state, const void *p, size_t n);
void sy_xxh3_64_update_avx2(void *state, const void *p, size_t n);
#endif

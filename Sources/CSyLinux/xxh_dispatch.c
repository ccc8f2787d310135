/* XXH3 for sy: inline (no call into the shared library), AVX2 where the CPU has it. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <stdlib.h>
#include "xxh_internal.h"
#include "CSyLinux.h"

/* AVX2 if the CPU has it, unless SY_NO_AVX2 is set (the tests run the baseline code that way). */
int sy_has_avx2(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2") && !getenv("SY_NO_AVX2");
    return cached;
}

sy_hash128 sy_xxh3_128(const void *p, size_t n) {
    XXH128_hash_t h = sy_has_avx2() ? sy_xxh3_128_avx2(p, n) : XXH3_128bits(p, n);
    sy_hash128 r = { h.low64, h.high64 };
    return r;
}

void *sy_xxh3_state_new(void) {
    void *s = aligned_alloc(64, (sizeof(XXH3_state_t) + 63) & ~(size_t)63);
    if (!s) abort();
    return s;
}

void sy_xxh3_state_free(void *state) { free(state); }

void sy_xxh3_128_reset(void *state) { XXH3_128bits_reset((XXH3_state_t *)state); }

void sy_xxh3_128_update(void *state, const void *p, size_t n) {
    if (sy_has_avx2()) sy_xxh3_128_update_avx2(state, p, n);
    else XXH3_128bits_update((XXH3_state_t *)state, p, n);
}

sy_hash128 sy_xxh3_128_digest(const void *state) {
    XXH128_hash_t h = XXH3_128bits_digest((const XXH3_state_t *)state);
    sy_hash128 r = { h.low64, h.high64 };
    return r;
}

void sy_xxh3_64_reset(void *state) { XXH3_64bits_reset((XXH3_state_t *)state); }

void sy_xxh3_64_update(void *state, const void *p, size_t n) {
    if (sy_has_avx2()) sy_xxh3_64_update_avx2(state, p, n);
    else XXH3_64bits_update((XXH3_state_t *)state, p, n);
}

uint64_t sy_xxh3_64_digest(const void *state) { return XXH3_64bits_digest((const XXH3_state_t *)state); }

// mfvariants.h: the SIMD level of the C kernels, and MF_VARIANTS(name, params, args), which
// defines mf_name running the static inline function name_body compiled three times
// (AVX-512, AVX2+FMA, generic x86-64), the level mf_simd_level() picks. Shared by the C
// kernels of packages nn, flow and flow/classify; each includes it with its own #pragma
// settings in force. Every kernel gives bit-identical results at every level: the levels
// differ in speed only (see mfgemm.h for how the matrix products keep one summation order).
#ifndef MF_VARIANTS_H
#define MF_VARIANTS_H
#include <stdlib.h>
#include <string.h>

// Levels, best last. MF_LEVEL_GENERIC is also the only level off x86-64.
#define MF_LEVEL_GENERIC 0
#define MF_LEVEL_AVX2 1
#define MF_LEVEL_AVX512 2

#if defined(__x86_64__) && defined(__GNUC__)
// mf_hw_level is the best level this CPU supports.
static int mf_hw_level(void) {
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
		__builtin_cpu_supports("fma"))
		return MF_LEVEL_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return MF_LEVEL_AVX2;
	return MF_LEVEL_GENERIC;
}
#else
static int mf_hw_level(void) { return MF_LEVEL_GENERIC; }
#endif

// mf_env_level parses MFLOWLAB_SIMD: the requested level, or -1 when unset, empty or
// unknown (Go's nn.SIMDFromEnv reports unknown values to the user).
static int mf_env_level(void) {
	const char *e = getenv("MFLOWLAB_SIMD");
	if (e == NULL) return -1;
	if (strcmp(e, "generic") == 0) return MF_LEVEL_GENERIC;
	if (strcmp(e, "avx2") == 0) return MF_LEVEL_AVX2;
	if (strcmp(e, "avx512") == 0) return MF_LEVEL_AVX512;
	return -1;
}

// mf_simd_level is the level the kernels run at: the CPU's best, lowered by MFLOWLAB_SIMD.
// It is read once per process (per compilation unit) and cached.
static int mf_simd_level(void) {
	static int cached = -1;
	int l = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (l >= 0) return l;
	l = mf_hw_level();
	int want = mf_env_level();
	if (want >= 0 && want < l) l = want;
	__atomic_store_n(&cached, l, __ATOMIC_RELAXED);
	return l;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define MF_VARIANTS(name, params, args) \
	__attribute__((target("avx512f,avx512dq,avx512vl,fma"))) static void name##_avx512 params { name##_body args; } \
	__attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; } \
	static void name##_generic params { name##_body args; } \
	static void mf_##name params { \
		switch (mf_simd_level()) { \
		case MF_LEVEL_AVX512: name##_avx512 args; break; \
		case MF_LEVEL_AVX2: name##_avx2 args; break; \
		default: name##_generic args; \
		} \
	}
#else
#define MF_VARIANTS(name, params, args) \
	static void mf_##name params { name##_body args; }
#endif
#endif

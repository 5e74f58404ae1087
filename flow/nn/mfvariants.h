// mfvariants.h: MF_VARIANTS(name, params, args) defines mf_name, which runs the static
// inline function name_body compiled three times (AVX-512, AVX2, generic x86-64), the best
// the CPU supports chosen at run time. Shared by the C kernels of packages flow and
// flow/classify; each includes it with its own #pragma settings in force.
#ifndef MF_VARIANTS_H
#define MF_VARIANTS_H
#if defined(__x86_64__) && defined(__GNUC__)
#define MF_VARIANTS(name, params, args) \
	__attribute__((target("avx512f,avx512dq,avx512vl"))) static void name##_avx512 params { name##_body args; } \
	__attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; } \
	static void name##_generic params { name##_body args; } \
	static void mf_##name params { \
		if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) name##_avx512 args; \
		else if (__builtin_cpu_supports("avx2")) name##_avx2 args; \
		else name##_generic args; \
	}
#else
#define MF_VARIANTS(name, params, args) \
	static void mf_##name params { name##_body args; }
#endif
#endif

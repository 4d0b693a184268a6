// Clang's thread-safety annotations under recourse names, so that -Wthread-safety checks at
// compile time which mutex guards which member (STYLE.md: thread-safety is written down where
// the compiler can check it). Other compilers see nothing. Include it in a global module
// fragment only, like export.h: macros do not cross `import`, and none of ours should leak.
// The annotated mutex the analysis needs is recourse/mutex.h.
#pragma once

#if defined(__clang__)
#define RECOURSE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define RECOURSE_THREAD_ANNOTATION(x)
#endif

// On a class: it is a capability (a mutex), or an object that holds one while it lives.
#define RECOURSE_CAPABILITY(name) RECOURSE_THREAD_ANNOTATION(capability(name))
#define RECOURSE_SCOPED_CAPABILITY RECOURSE_THREAD_ANNOTATION(scoped_lockable)
// On a data member: read or written only while holding `m`.
#define RECOURSE_GUARDED_BY(m) RECOURSE_THREAD_ANNOTATION(guarded_by(m))
// On a function: its caller must hold (REQUIRES) or must not hold (EXCLUDES) the capability.
#define RECOURSE_REQUIRES(...) RECOURSE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define RECOURSE_EXCLUDES(...) RECOURSE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it takes (ACQUIRE) or lets go of (RELEASE) the capability.
#define RECOURSE_ACQUIRE(...) RECOURSE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RECOURSE_RELEASE(...) RECOURSE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RECOURSE_TRY_ACQUIRE(...) RECOURSE_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The analysis cannot follow this function (say why where it is used).
#define RECOURSE_NO_THREAD_SAFETY_ANALYSIS RECOURSE_THREAD_ANNOTATION(no_thread_safety_analysis)

// SPDX-License-Identifier: MIT
// METERED_API: what the shared library exports; everything else in it is hidden.
#pragma once

// The library is compiled with hidden visibility, so a shared build exports only what
// carries METERED_API: each public class with code in the library (`class METERED_API X`:
// its members, vtable and type info, which exceptions and dynamic_cast need across the
// library's boundary), and each free function declared in include/metered/. Plain
// aggregates whose members are all inline, enums and inline functions need no mark.
//
// CMake defines METERED_SHARED for a shared build and for everyone who links it (the
// package's target and metered.pc pass it on), and METERED_EXPORTS while compiling the
// library itself. A static library needs neither, and METERED_API is then empty.
#if defined(METERED_SHARED)
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(METERED_EXPORTS)
#define METERED_API __declspec(dllexport)
#else
#define METERED_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)  // GCC and Clang
#define METERED_API __attribute__((visibility("default")))
#endif
#endif
#ifndef METERED_API
#define METERED_API
#endif

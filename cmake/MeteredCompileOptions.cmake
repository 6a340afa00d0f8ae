# SPDX-License-Identifier: MIT
# metered_compile_options(<target>): the project's warnings and sanitizers, applied
# PRIVATE so they never leak into a consumer's build.
include(GNUInstallDirs)

function(metered_compile_options target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
      -Wno-missing-field-initializers)  # designated initializers leave fields to their defaults on purpose
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      # Names reserved to the implementation (__x, _Upper): .clang-tidy leaves this check to clang.
      target_compile_options(${target} PRIVATE -Wreserved-identifier)
    endif()
    if(METERED_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(METERED_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
  if(METERED_SANITIZE AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    string(REPLACE ";" "," _sanitizers "${METERED_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${_sanitizers})
  endif()
endfunction()

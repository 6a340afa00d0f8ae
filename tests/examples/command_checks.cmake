# SPDX-License-Identifier: MIT
# What the ctest scripts of tests/examples/ share: run a command and check its output.
#   run_checked(<expect_ok> <out-var> <command> <args>...): runs the command; fails the test
#     if it failed when it should not (or the other way round); its stdout and stderr in <out-var>.
#   expect(<text> <regex>): fails the test unless <regex> matches in <text>.
function(run_checked expect_ok out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (${rc}): ${stderr}")
  elseif(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} should have failed: ${stdout}")
  endif()
  set(${out} "${stdout}${stderr}" PARENT_SCOPE)
endfunction()
function(expect text pattern)
  string(REGEX MATCH "${pattern}" found "${text}")
  if(NOT found)
    message(FATAL_ERROR "expected /${pattern}/ in:\n${text}")
  endif()
endfunction()

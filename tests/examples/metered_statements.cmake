# SPDX-License-Identifier: MIT
# ctest: `metered statements close|show|list` end to end on an SQLite file. The setup step
# stores a business on the basic plan with 75.5 voice minutes in the previous month: 15.5
# above the 60 included, at $0.02: $0.31.
#   cmake -DMETERED=<metered binary> -DSETUP=<statements_setup binary> -DDB=<path> -P metered_statements.cmake
set(business "0190a5d2-7c1e-7000-8000-000000000016")
include(${CMAKE_CURRENT_LIST_DIR}/command_checks.cmake)
function(run expect_ok out)
  run_checked(${expect_ok} result ${METERED} statements ${ARGN} --store sqlite:${DB} --business ${business})
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

file(REMOVE ${DB})
execute_process(COMMAND ${SETUP} ${DB} ${business} RESULT_VARIABLE rc ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "setup failed (${rc}): ${stderr}")
endif()
execute_process(COMMAND ${METERED} --help RESULT_VARIABLE rc OUTPUT_VARIABLE help)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "metered --help failed (${rc})")
endif()
expect("${help}" "statements")

run(TRUE none list)
if(NOT none STREQUAL "")
  message(FATAL_ERROR "nothing is closed yet, but list printed:\n${none}")
endif()
run(FALSE missing show)
expect("${missing}" "previous_cycle of ${business} is not closed")

set(line "${business} [0-9-]+\\.\\.[0-9-]+: total 0\\.31 USD \\(plan basic, closed [0-9T:-]+Z\\)\n")
run(TRUE closed close)
expect("${closed}" "^${line}$")
run(TRUE again close --period previous_cycle)  # idempotent: the statement stored first
if(NOT again STREQUAL closed)
  message(FATAL_ERROR "a second close printed another statement:\n${closed}${again}")
endif()
run(TRUE listed list)
if(NOT listed STREQUAL closed)
  message(FATAL_ERROR "list printed:\n${listed}\nnot:\n${closed}")
endif()
# CSV (execute_process reads its CRLF line ends as LF; test_csv.cpp checks them).
run(TRUE csv export)
expect("${csv}" "^business_id,cycle_from,cycle_to,currency,plan_id,line,item,quantity,amount\n")
expect("${csv}" "\n${business},[0-9-]+,[0-9-]+,USD,basic,usage,voice_minute,75\\.5,0\\.31\n")
expect("${csv}" "\n${business},[0-9-]+,[0-9-]+,USD,basic,amount_due,,,0\\.31\n$")
run(TRUE json show --period previous_cycle)
expect("${json}" "\"total\": 0\\.31")
expect("${json}" "\"billingUsage\": ")

# A cycle that has not ended, and a span that is not a cycle: errors naming the period.
run(FALSE err close --period current_cycle)
expect("${err}" "period")
run(FALSE err close --period 2024-01-05..2024-02-05)
expect("${err}" "period")

# SPDX-License-Identifier: MIT
# ctest: `metered dead-letters show|replay` end to end on an SQLite file. The setup step
# stores a business (as for metered_statements.cmake); the dead-letter file holds an event of
# it, an event of a business the store does not know, and an undecodable record.
#   cmake -DMETERED=<metered> -DSETUP=<statements_setup> -DDB=<path> -DFILE=<path> -P metered_dead_letters.cmake
set(business "0190a5d2-7c1e-7000-8000-000000000016")
set(stranger "0190a5d2-7c1e-7000-8000-0000000000ff")
include(${CMAKE_CURRENT_LIST_DIR}/command_checks.cmake)

file(REMOVE ${DB})
execute_process(COMMAND ${SETUP} ${DB} ${business} RESULT_VARIABLE rc ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "setup failed (${rc}): ${stderr}")
endif()
function(letter out business id)
  set(${out} "{\"at\":\"2026-11-30T12:00:00.000000Z\",\"reason\":\"unknown business\",\"event\":{\"id\":\"${id}\",\
\"business_id\":\"${business}\",\"event_type\":\"voice_minute\",\"quantity\":\"2.5\",\"unit_price\":\"0.02\",\
\"list_cost\":\"0.05\",\"occurred_at\":\"2026-11-30T11:59:59.123456Z\",\"metadata\":{\"call\":\"a\"}}}" PARENT_SCOPE)
endfunction()
letter(known ${business} "0190a5d2-7c1e-7000-8000-0000000000a1")
letter(unknown ${stranger} "0190a5d2-7c1e-7000-8000-0000000000a2")
file(WRITE ${FILE} "${known}\n${unknown}\n{\"at\":\"2026-11-30T12:00:01.000000Z\",\"reason\":\"bad record\",\"raw\":\"00ff\"}\n")

run_checked(TRUE shown ${METERED} dead-letters show ${FILE})
expect("${shown}" "3 dead letters: 2 events, 1 undecodable records")
expect("${shown}" "2 × unknown business")

# The stranger is still unknown: the replay stores the other event and fails, naming it.
run_checked(FALSE first ${METERED} dead-letters replay ${FILE} --store sqlite:${DB})
expect("${first}" "stored 1, already stored 0, refused 1, undecodable 1")
expect("${first}" "line 2 \\(event 0190a5d2-7c1e-7000-8000-0000000000a2\\)")
# Idempotent: a second replay stores nothing again.
run_checked(FALSE again ${METERED} dead-letters replay ${FILE} --store sqlite:${DB})
expect("${again}" "stored 0, already stored 1, refused 1, undecodable 1")

# A reason with a terminal escape sequence is shown without it.
string(REPLACE "unknown business" "\\u001b[31mred" escape_letter "${known}")
file(WRITE ${FILE}.escape "${escape_letter}\n")
run_checked(TRUE escaped ${METERED} dead-letters show ${FILE}.escape)
expect("${escaped}" "1 × \\?\\[31mred")

# A malformed file is refused whole, naming the line and the field.
file(APPEND ${FILE} "{\"at\":\"2026-11-30T12:00:02.000000Z\",\"reason\":\"x\",\"event\":{\"id\":\"nope\"}}\n")
run_checked(FALSE bad ${METERED} dead-letters show ${FILE})
expect("${bad}" "line 4\\.event\\.id")

# `metered spool inspect`: a directory with only the dead letters; a missing one.
get_filename_component(spool ${FILE} DIRECTORY)
set(spool ${spool}/spool-inspect-test)
file(REMOVE_RECURSE ${spool})
file(MAKE_DIRECTORY ${spool})
file(WRITE ${spool}/dead-letter.jsonl "${known}\n${unknown}\n")
run_checked(TRUE inspected ${METERED} spool inspect ${spool})
expect("${inspected}" "0 segments, 0 events, 0 undecodable records, 0 damaged places, 0 bytes")
expect("${inspected}" "2 dead letters: metered dead-letters show")
run_checked(FALSE missing ${METERED} spool inspect ${spool}/missing)
expect("${missing}" "cannot read the spool directory")

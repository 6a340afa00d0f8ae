# SPDX-License-Identifier: MIT
# ctest: `plans quote --llm` prices LLM usage exactly at the shipped rate card and bills it on
# the basic plan (at cost). gpt-4o at $2.50 / $1.25 / $10 per million tokens (from 2024-10-01):
# 120000 input + 30000 cached + 9000 output = 0.3 + 0.0375 + 0.09 = $0.4275 → $0.43.
#   cmake -DPLANS=<plans binary> -P plans_quote_llm.cmake
include(${CMAKE_CURRENT_LIST_DIR}/command_checks.cmake)
function(run expect_ok out)
  run_checked(${expect_ok} result ${PLANS} quote ${ARGN})
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

set(gpt4o "openai/gpt-4o:input=120000,cached_input=30000,output=9000")
run(TRUE text --llm ${gpt4o} --at 2025-01-15)
expect("${text}" "llm_call openai/gpt-4o: 1 request\\(s\\), \\$0\\.4275 at the rate card, charged 0\\.4275 = \\$0\\.43\n")
expect("${text}" "    input +120000  cost \\$0\\.3 +charge 0\\.3 \\(at cost\\)\n")
expect("${text}" "    cached_input +30000  cost \\$0\\.0375 +charge 0\\.0375 \\(at cost\\)\n")
expect("${text}" "    output +9000  cost \\$0\\.09 +charge 0\\.09 \\(at cost\\)\n")
expect("${text}" "  total +\\$0\\.43\n")

# The same in JSON (to_json(Bill)), exact numbers; two specs of one model add up.
run(TRUE json --llm "openai/gpt-4o:input=100000,cached_input=30000,output=9000,requests=3"
    --llm "openai/gpt-4o:input=20000,requests=2" --at 2025-01-15 --json)
expect("${json}" "\"model\": \"openai/gpt-4o\",\n +\"cost\": 0\\.4275,\n +\"exactAmount\": 0\\.4275,\n +\"amount\": 0\\.43,\n +\"calls\": 5,")
expect("${json}" "\"part\": \"cached_input\",\n +\"quantity\": 30000,\n +\"cost\": 0\\.0375,")
expect("${json}" "\"total\": 0\\.43\n")

# With the seed's usage: $8.31 + $0.43.
run(TRUE seed --api-calls 1500 --voice-minutes 75.5 --ai-queries 150 --storage-mb 1500 --llm ${gpt4o} --at 2025-01-15)
expect("${seed}" "  total +\\$8\\.74\n")

# Clear errors naming the field.
run(FALSE err --llm "openai/no-such-model:input=1" --at 2025-01-15)
expect("${err}" "llm\\[0\\]\\.model: the rate card has no price for 'openai/no-such-model'")
run(FALSE err --llm "openai/gpt-4o:inptu=1" --at 2025-01-15)
expect("${err}" "llm\\[0\\]\\.inptu: unknown part 'inptu'")
run(FALSE err --llm ${gpt4o} --llm "openai/gpt-4o:output=-9000" --at 2025-01-15)
expect("${err}" "llm\\[1\\]\\.output: must not be negative")
run(FALSE err --llm "openai/gpt-4o-mini:input=1" --at 2024-07-17)  # the day before its first price
expect("${err}" "llm\\[0\\]\\.model: the rate card has no price for 'openai/gpt-4o-mini' on 2024-07-17")
run(FALSE err --llm ${gpt4o} --at 2025-02-30)
expect("${err}" "invalid at: expected a day YYYY-MM-DD")

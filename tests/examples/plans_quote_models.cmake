# SPDX-License-Identifier: MIT
# ctest: `plans show` and `plans quote` with the charge models beyond per-unit pricing and a
# plan's minimum: a payment meter at 2.9 % + $0.30 (ten payments of $100 cost $32.00), card
# payments bounded per transaction, tiers
# in blocks, package rounding down, active users counted, stored megabytes billed by the
# month (time-weighted), a $10 fee and a $50 minimum trued up.
#   cmake -DPLANS=<plans binary> -DBOOK=<a file to write> -P plans_quote_models.cmake
include(${CMAKE_CURRENT_LIST_DIR}/command_checks.cmake)
function(run expect_ok out)
  run_checked(${expect_ok} result ${PLANS} ${ARGN})
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

file(WRITE ${BOOK} [=[
{"dimensions": {"end_user": {}}, "plans": [{"id": "payments", "fee": 10, "minimum": 50, "meters": {
  "payment": {"unit": "USD", "model": "percentage", "rate": 2.9, "transaction_fee": 0.30, "free_transactions": 2},
  "card": {"unit": "USD", "model": "percentage", "rate": 2, "transaction_fee": 0.30, "free_transactions": 1,
           "included": 100, "transaction_minimum": 0.50, "transaction_maximum": 5},
  "export": {"unit": "row", "model": "graduated", "tiers": [
    {"up_to": 1000, "unit_price": 1, "block_size": 100}, {"up_to": null, "unit_price": 1, "block_size": 1000}]},
  "upload": {"unit": "MB", "model": "package", "unit_price": 0.01, "package_size": 100, "package_price": 1,
             "package_rounding": "down"},
  "session": {"unit": "user", "aggregation": "unique", "unique_dimension": "end_user", "included": 2,
              "unit_price": 1.5},
  "storage_level": {"unit": "MB-month", "aggregation": "time_weighted", "unit_price": 0.0001}}}]}
]=])

run(TRUE shown show --file ${BOOK})
expect("${shown}" "payment +0 USD +included, percentage 2\\.9% \\+ \\$0\\.30 per transaction \\(first 2 free\\)")
expect("${shown}" "\\[up to 1000: \\$1 per 100\\] \\[up to inf: \\$1 per 1000\\]")
expect("${shown}" "\\$1 per 100 MB \\(partial packages rounded down\\)")
expect("${shown}" "fee +\\$10 per cycle")
expect("${shown}" "whole bill +, at least \\$50 per cycle")
expect("${shown}" "session +2 unique end_user included, per_unit +\\$1\\.5 per user")
expect("${shown}" "storage_level +0 MB-month +included, per_unit +\\$0\\.0001 per MB-month")

# 12 payments of $100 (10 pay the fee): 34.80 + 3.00; 5325 rows in blocks: 15; 250 MB: 2;
# 4 active users (a unique count is quoted on its number of values), 2 free: 3; 15,000
# MB-months (10 GB half the month, 20 GB the other half): 1.50; the fee: 10.
run(TRUE quoted quote --file ${BOOK} --plan payments --usage payment=1200 --events payment=12 --usage export=5325
    --usage upload=250 --usage session=4 --usage storage_level=15000)
expect("${quoted}" "1200 x 2\\.9% \\+ fees of 12 transaction\\(s\\) = 3")
expect("${quoted}" "tier 2: 4325 in 5 block\\(s\\) x \\$1 = 5")
expect("${quoted}" "  fee per cycle +10\\.00\n")
expect("${quoted}" "storage_level +15000 +0 +15000 +1\\.5 +\\$1\\.50\n")
expect("${quoted}" "  total +\\$69\\.30\n")

# Below the minimum: one payment of $100 (free of the fee) is $2.90, trued up to $50.00; the
# plan's fee is not what the minimum bounds: $60.00.
run(TRUE small quote --file ${BOOK} --plan payments --usage payment=100 --events payment=1)
expect("${small}" "minimum \\$50\\.00 of the bill: charged \\$2\\.90, true-up 47\\.10\n")
expect("${small}" "  total +\\$60\\.00\n")

# Card payments one by one, in order: free; 0.50; 0.40 raised to 0.50; 20.30 capped at 5.00;
# 0.70; a payment of 0 pays its fee, 0.30, raised to 0.50: $7.20 (22.20 unbounded).
run(TRUE cards quote --file ${BOOK} --plan payments --transactions card=60,50,5,1000,20,0)
expect("${cards}" "card +1135 +100 +1035 +7\.2 +\$7\.20
")
expect("${cards}" "per-transaction minimum and maximum: -15
")
run(TRUE shown_cards show --file ${BOOK})
expect("${shown_cards}" "\+ \$0\.30 per transaction \(first 1 free\), at least \$0\.50 per transaction, at most \$5 per transaction")
run(FALSE bad_amount quote --file ${BOOK} --plan payments --transactions card=5,x)
expect("${bad_amount}" "transactions")

run(FALSE bad quote --file ${BOOK} --plan payments --events payment=x)
expect("${bad}" "events")

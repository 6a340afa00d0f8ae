#!/usr/bin/env bash
# The layering rule of CONTRIBUTING.md, checked: every file in include/ and src/ belongs to
# a layer (by its name: x.h and x.cpp are one unit), and includes only files of its own
# layer or below. Prints each violation and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A layer
assign() {
  local level=$1
  shift
  for unit in "$@"; do layer[$unit]=$level; done
}
# 0: values and the text they are written as.
assign 0 export version errors decimal time ids event_type metadata utf8 quote crc32c metadata_encoding iso_date \
  text_format exact_json sharded_counter segment conninfo sqlstate sql_text sqlite_db pg_connection migration untrusted_text \
  decimal_access \
  spool_directory json_limits
# 1: what is recorded, what it is priced by, and the limits that bound it.
assign 1 correction credit credit_ledger usage_event usage_total usage_part model_usage plan account billing_period budget budget_crossing statement \
  crossing_claims audio recorder_stats append_timer \
  async_options dimension dimension_usage level_usage transaction_amount recorded_event \
  precision llm_usage \
  event_draft draft_fields event_codec event_json dead_letter event_log
# 2: pricing.
assign 2 price_book pricing measure level_measure plan_schedule commitments reports rate_card litellm_import ai_billing_json voice_pricing standard_rate_card rate_card_lookup
# 3: storage, and asynchronous delivery into it.
assign 3 correction_rules quantity_corrections level_rollup usage_store memory_store sqlite_store postgres_store sharded_postgres_store store event_checks append_isolating store_text event_rows \
  schema connection_pool delivery spool_replay pipeline plan_rows crossing_delivery budget_table dead_letters spool_inspection
# 4: the services a host calls.
assign 4 usage_reports metered_usage usage_recorder prometheus json csv
# 5: the umbrella header.
assign 5 metered

status=0
while IFS= read -r file; do
  unit=$(basename "${file%.*}")
  own=${layer[$unit]:-}
  if [ -z "$own" ]; then
    echo "$file: no layer (add '$unit' to scripts/check-layers.sh and CONTRIBUTING.md)"
    status=1
    continue
  fi
  while IFS= read -r included; do
    target=$(basename "${included%.*}")
    theirs=${layer[$target]:-}
    if [ -z "$theirs" ]; then
      echo "$file: includes \"$included\", which has no layer"
      status=1
    elif [ "$theirs" -gt "$own" ]; then
      echo "$file (layer $own): includes \"$included\" (layer $theirs), which stands above it"
      status=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find include src -name '*.h' -o -name '*.cpp' | sort)
[ $status = 0 ] && echo "layers: every include points down or sideways"
exit $status

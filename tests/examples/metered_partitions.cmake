# SPDX-License-Identifier: MIT
# ctest: `metered migrate [--partition-events-by-month]` and `metered events retain` on a
# fresh database of the test server (the PG* variables pg_virtualenv sets), dropped at the
# end. A partition of January 2020 (made by the same function a first event of a month
# calls) is the old month retention drops.
#   cmake -DMETERED=<metered binary> -DDBNAME=<database> -DSQLITE=<path> -P metered_partitions.cmake
include(${CMAKE_CURRENT_LIST_DIR}/command_checks.cmake)
execute_process(COMMAND dropdb --if-exists ${DBNAME})
run_checked(TRUE created createdb ${DBNAME})
set(store "dbname=${DBNAME}")

run_checked(TRUE plain ${METERED} migrate --store ${store})
expect("${plain}" "^migrated dbname=${DBNAME}: schema version [0-9]+\n$")
run_checked(FALSE early ${METERED} events retain --store ${store} --keep-months 3)
expect("${early}" "not partitioned by month")

run_checked(TRUE parted ${METERED} migrate --store ${store} --partition-events-by-month)
expect("${parted}" "^migrated dbname=${DBNAME}: schema version [0-9]+, events partitioned by month\n$")
run_checked(TRUE again ${METERED} migrate --store ${store} --partition-events-by-month)
expect("${again}" ", events partitioned by month\n$")
run_checked(TRUE made psql -X -q -d ${DBNAME} -At -c "SELECT metered_event_partition('2020-01-15')")
expect("${made}" "^usage_events_2020_01\n$")

run_checked(FALSE zero ${METERED} events retain --store ${store} --keep-months 0)
expect("${zero}" "keep-months")
run_checked(TRUE detached ${METERED} events retain --store ${store} --keep-months 3 --detach)
expect("${detached}" "^detached 1 partitions of raw events before [0-9]+-[0-9]+: usage_events_2020_01\n$")
run_checked(TRUE left psql -X -q -d ${DBNAME} -At -c "SELECT to_regclass('usage_events_2020_01') IS NOT NULL")
expect("${left}" "^t\n$")
run_checked(TRUE none ${METERED} events retain --store ${store} --keep-months 3)
expect("${none}" "^dropped 0 partitions of raw events before [0-9]+-[0-9]+\n$")
# A month retention dropped takes no partition again (its events are refused).
run_checked(FALSE refused psql -X -q -d ${DBNAME} -At -c "SELECT metered_event_partition('2020-01-20')")
expect("${refused}" "before [0-9-]+, the first month whose raw events this store keeps")

run_checked(FALSE sqlite ${METERED} events retain --store sqlite:${SQLITE} --keep-months 3)
expect("${sqlite}" "retention needs a PostgreSQL store")
run_checked(FALSE sqlite_parted ${METERED} migrate --store sqlite:${SQLITE} --partition-events-by-month)
expect("${sqlite_parted}" "needs a PostgreSQL store")
file(REMOVE ${SQLITE})
execute_process(COMMAND dropdb ${DBNAME})

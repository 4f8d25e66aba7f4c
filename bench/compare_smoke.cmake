# The smoke test of compare_bench (ctest bench.compare_smoke): runs
#   BENCH --smoke --ehcpd=EHCPD --out=OUT
# and fails unless it exits 0 and OUT holds every stable name of
# bench/README.md ("Side by side") as a number, with a "meta" object.
#
#   cmake -DBENCH=... -DEHCPD=... -DOUT=... -P compare_smoke.cmake
foreach(var BENCH EHCPD OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compare_smoke: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE "${OUT}")
string(TIMESTAMP started "%s")
execute_process(
  COMMAND "${BENCH}" --smoke "--ehcpd=${EHCPD}" "--out=${OUT}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors)
string(TIMESTAMP finished "%s")
math(EXPR took "${finished} - ${started}")
message("${output}${errors}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "compare_smoke: compare_bench --smoke exited ${status}")
endif()
if(NOT EXISTS "${OUT}")
  message(FATAL_ERROR "compare_smoke: no JSON written to ${OUT}")
endif()
file(READ "${OUT}" json)

set(names
  cpu_us_per_append.short_case
  cpu_us_per_append.long_case
  cpu_us_per_append.long_vs_short
  read_your_write_p99_ms
  read_your_write_p50_ms
  read_your_write_read_p99_ms
  max_latency_ms.c16
  rss_mb
  rss_mb_long_cases
  append_batch10.c64.ehcpd_events_per_s
  append_batch10.c64.postgres_events_per_s
  append_batch10.c64.ehcpd_calls_per_s
  append_batch10.c64.postgres_calls_per_s
  append_batch10.c64.ehcpd_vs_postgres)
foreach(store ehcpd postgres)
  foreach(figure p50_ms p99_ms p999_ms max_ms cpu_us)
    list(APPEND names append_batch10.c64.${store}_${figure})
  endforeach()
endforeach()
foreach(c c1 c16 c64)
  list(APPEND names append.${c}.ehcpd_vs_rocksdb append.${c}.ehcpd_vs_postgres)
  foreach(store ehcpd rocksdb postgres)
    foreach(figure eps p50_ms p99_ms p999_ms max_ms cpu_us)
      list(APPEND names append.${c}.${store}_${figure})
    endforeach()
  endforeach()
endforeach()

set(missing "")
foreach(name IN LISTS names)
  string(JSON type ERROR_VARIABLE error TYPE "${json}" "${name}")
  if(error OR NOT type STREQUAL "NUMBER")
    list(APPEND missing "${name} (${type}${error})")
  endif()
endforeach()
string(JSON meta_type ERROR_VARIABLE error TYPE "${json}" meta)
if(error OR NOT meta_type STREQUAL "OBJECT")
  list(APPEND missing "meta (${meta_type}${error})")
endif()
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "compare_smoke: ${OUT} lacks, or has no number for:\n  ${text}")
endif()
list(LENGTH names count)
message("compare_smoke: exit status 0, ${count} stable names present; ${took} s")

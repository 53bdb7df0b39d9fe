# Generates a C++ source holding every migrations/NNNN_name.sql as a raw string, so the
# binary carries its schema. Inputs: OUTPUT (file to write), INPUTS ('|'-separated paths).
string(REPLACE "|" ";" inputs "${INPUTS}")
list(SORT inputs)
set(body "")
foreach(path IN LISTS inputs)
  get_filename_component(file "${path}" NAME_WE)
  if(NOT file MATCHES "^([0-9]+)_(.+)$")
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${path}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  file(READ "${path}" sql)
  string(FIND "${sql}" ")berth_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"berth_sql(${sql})berth_sql\"},\n")
endforeach()
set(content "// Generated from src/metadata/migrations/*.sql by embed_migrations.cmake.
#include \"metadata/migrate.h\"

namespace berth::metadata {
namespace {
const Migration kMigrations[] = {
${body}};
}  // namespace

std::span<const Migration> EmbeddedMigrations() { return kMigrations; }

}  // namespace berth::metadata
")
# Rewrite only on change, so dependants are not rebuilt needlessly.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE "${OUTPUT}" "${content}")
endif()

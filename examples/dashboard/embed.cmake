# SPDX-License-Identifier: MIT
# Writes the dashboard's page, script and style into a header (cmake -DDIR=… -DOUT=… -P),
# so billing_dashboard serves them from memory, whatever directory it runs in.
set(content "// Generated from examples/dashboard by embed.cmake. Do not edit.\n#pragma once\nnamespace dashboard {\n")
foreach(asset IN ITEMS index.html dashboard.js dashboard.css)
  file(READ "${DIR}/${asset}" text)
  string(MAKE_C_IDENTIFIER "${asset}" name)
  string(APPEND content "inline constexpr char ${name}[] = R\"ASSET(${text})ASSET\";\n")
endforeach()
string(APPEND content "}  // namespace dashboard\n")
file(WRITE "${OUT}" "${content}")

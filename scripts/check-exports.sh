#!/usr/bin/env bash
# A shared libmetered exports the public API only (include/metered/export.h): usage
# scripts/check-exports.sh build/options-shared/libmetered.so
#
# Allowed: every symbol of namespace metered outside metered::detail (with its type info and
# vtables), std::hash<metered::…>::operator(), and the weak copies (nm types W, V, u) of
# standard-library template instantiations: libstdc++ gives namespace std default
# visibility, so every shared library that instantiates a std template exports its copy
# (the dynamic linker merges them). Not allowed: anything of metered::detail, anything that
# names a dependency (fmt, nlohmann::json, date, SQLite, libpq, OpenSSL), and any other
# strong symbol. Prints each offending symbol and exits 1 if there is any.
set -euo pipefail
lib=$1
# "<type> <demangled name>", the name without the "typeinfo for "-style prefixes.
symbols=$(nm -DC --defined-only "$lib" | cut -d' ' -f2- |
  sed -E 's/^(.) (typeinfo name for |typeinfo for |vtable for |VTT for |guard variable for )/\1 /')

status=0
offending() {
  echo "$lib exports $1:"
  cut -c1-200 <<<"$2" | awk '{ print "  " $0 }'
  status=1
}
if private=$(grep -E 'metered::detail::' <<<"$symbols"); then
  offending "private symbols (metered::detail)" "$private"
fi
others=$(grep -vE '^. metered::' <<<"$symbols" | grep -vE '^T std::hash<metered::[A-Za-z]+>::operator\(\)' || true)
if dependencies=$(grep -E 'fmt::|nlohmann|date::|sqlite|PQ|pg_|SSL|EVP_|CRYPTO_' <<<"$others"); then
  offending "its dependencies' symbols" "$dependencies"
fi
if strong=$(grep -vE '^[WVu] ' <<<"$others"); then
  offending "symbols outside namespace metered" "$strong"
fi
public=$(grep -cE '^. metered::' <<<"$symbols" || true)
weak=$(grep -cE '^[WVu] ' <<<"$others" || true)
if [ $status = 0 ]; then
  echo "exports: $public of namespace metered, none of metered::detail or a dependency" \
    "($weak weak standard-library instantiations besides)"
fi
exit $status

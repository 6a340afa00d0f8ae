// SPDX-License-Identifier: MIT
// The seed's "Database Verification" queries, as the seed document gives them
// (../shared/seed/billing-overview.md), for the tests that run them on a server or a
// coordinator.
#pragma once

#include <string>

#include "metered/ids.h"

namespace metered::testing {

inline const std::string seed_events_query =
    "SELECT * FROM usage_events WHERE business_id = 'your-business-id' ORDER BY created_at DESC;";
inline const std::string seed_overview_query = "SELECT * FROM billing_overview WHERE business_id = 'your-business-id';";
inline const std::string seed_trends_query = R"SQL(
SELECT 
  DATE(created_at) as date,
  event_type,
  SUM(quantity) as total_quantity,
  SUM(total_cost_cents) / 100.0 as total_cost
FROM usage_events 
WHERE business_id = 'your-business-id'
  AND created_at >= CURRENT_DATE - INTERVAL '30 days'
GROUP BY DATE(created_at), event_type
ORDER BY date DESC;
)SQL";

inline std::string forBusiness(std::string query, const BusinessId& id) {
    const std::string placeholder = "your-business-id";
    query.replace(query.find(placeholder), placeholder.size(), id.toString());
    return query;
}

}  // namespace metered::testing

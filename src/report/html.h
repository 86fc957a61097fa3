// The self-contained HTML page: the report data (report/data.h) plus the pinned front-end
// libraries (ECharts for plots, dagre for the graph layout; report/package-lock.json) and
// cnnfi's own page scripts (report/web/, one file per plot kind), all inlined: the page opens
// from disk with no network.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace cnnfi::report {

std::string render_html(const nlohmann::json& data);

}  // namespace cnnfi::report

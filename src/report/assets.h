// Files inlined into every report, embedded in the binary at build time (src/CMakeLists.txt):
// the pinned npm libraries and cnnfi's page scripts and style (report/web/).
#pragma once
#include <string_view>
#include <vector>

namespace cnnfi::report {

struct Asset {
  std::string_view name;  ///< e.g. "echarts.min.js", "web/plot-bits.js"
  std::string_view text;
};

/// Libraries first (echarts, dagre), then report/web/*.js in name order, then report.css.
const std::vector<Asset>& assets();

}  // namespace cnnfi::report

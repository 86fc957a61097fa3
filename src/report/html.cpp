#include "report/html.h"

#include "report/assets.h"
#include "util/error.h"

namespace cnnfi::report {

namespace {

/// Text safe inside <script>: no "</" can close the element.
std::string script_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') out += "<\\";
    else out += s[i];
  }
  return out;
}

/// JSON inside a <script> element: every '<' (only ever inside a JSON string) as \u003c, so no
/// name can close the element or open a comment that swallows it ("<!--<script>" would
/// otherwise leave the whole page blank).
std::string json_script_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

}  // namespace

std::string render_html(const nlohmann::json& data) {
  std::string css, libs, app;
  for (const auto& a : assets()) {
    if (a.name.size() > 4 && a.name.substr(a.name.size() - 4) == ".css") css += std::string(a.text);
    else if (a.name.rfind("web/", 0) == 0) app += "\n// ---- " + std::string(a.name) + "\n" + std::string(a.text);
    else libs += "<script>/* " + std::string(a.name) + " */\n" + script_safe(a.text) + "\n</script>\n";
  }
  if (libs.empty() || app.empty()) fail("report: the front-end assets were not built into this binary");
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cnnfi report</title>\n";
  html += "<meta name=\"generator\" content=\"cnnfi " CNNFI_VERSION "\">\n<style>\n" + css + "</style></head>\n<body>\n";
  html += "<noscript><p>This report draws its plots with JavaScript; enable it to see them.</p></noscript>\n";
  html += "<div id=\"report\"></div>\n<pre id=\"cnnfi-selftest\"></pre>\n";
  html += "<script type=\"application/json\" id=\"cnnfi-data\">" + json_script_safe(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "</script>\n";
  html += libs;
  html += "<script>\n" + script_safe(app) + "\n</script>\n</body></html>\n";
  return html;
}

}  // namespace cnnfi::report

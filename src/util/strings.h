// Small string helpers shared by the CLI, data specs and config parsing.
#pragma once
#include <string>
#include <vector>

namespace cnnfi {

std::vector<std::string> split(const std::string& s, char sep);
std::string trim(const std::string& s);
bool starts_with(const std::string& s, const std::string& prefix);
/// Parses a comma-separated list of floats; `what` names the option in the error message.
std::vector<float> parse_floats(const std::string& s, const std::string& what);
/// Parses "HxW" (e.g. "32x32"); `what` names the option in the error message.
std::pair<int, int> parse_hw(const std::string& s, const std::string& what);
/// A CSV cell as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or a
/// line break, else as it is.
std::string csv_cell(const std::string& s);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// The current time as ISO 8601 UTC, e.g. 2026-11-22T06:41:34Z.
std::string now_utc();

}  // namespace cnnfi

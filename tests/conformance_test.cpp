// Runs the official ONNX test cases (Debian libonnx-testdata: data/node, data/pytorch-converted,
// data/pytorch-operator) whose every operator is in cnnfi's operator table, and compares each
// output with ONNX's tolerances (rtol 1e-3, atol 1e-7; NaN equals NaN). Cases that cannot pass
// are listed in conformance_skips.txt with a reason; an unlisted failure fails the test, and a
// listed case that passes is reported so the list stays honest.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "exec/executor.h"
#include "onnx/import.h"
#include "onnx/tensor.h"
#include "ops/op.h"
#include "util/file.h"
#include "util/strings.h"

namespace fs = std::filesystem;
using namespace cnnfi;

namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

std::map<std::string, std::string> read_skips() {
  std::map<std::string, std::string> skips;
  std::ifstream in(CNNFI_SKIPS_FILE);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.find_first_of(" \t");
    skips[line.substr(0, sp)] = sp == std::string::npos ? "" : trim(line.substr(sp));
  }
  return skips;
}

onnx::TensorProto read_pb(const fs::path& p) {
  onnx::TensorProto t;
  const std::string bytes = read_file(p.string());
  if (!t.ParseFromString(bytes)) throw std::runtime_error("cannot parse " + p.string());
  return t;
}

bool uses_only_supported_ops(const onnx::ModelProto& m) {
  for (const auto& n : m.graph().node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") return false;
    if (!ops::find_op(n.op_type())) return false;
  }
  return true;
}

std::string compare(const at::Tensor& got, const at::Tensor& want) {
  if (got.sizes() != want.sizes())
    return "shape " + c10::str(got.sizes()) + " != expected " + c10::str(want.sizes());
  if (want.scalar_type() == at::kBool || at::isIntegralType(want.scalar_type(), false)) {
    if (!at::equal(got.to(want.scalar_type()), want)) return "integer/bool values differ";
    return "";
  }
  const at::Tensor g = got.to(at::kDouble), w = want.to(at::kDouble);
  const at::Tensor both_nan = at::isnan(g) & at::isnan(w);
  const at::Tensor ok = ((g - w).abs() <= kAtol + kRtol * w.abs()) | both_nan | (g == w);
  if (!ok.all().item<bool>()) {
    const double max_err = at::where(ok, at::zeros_like(g), (g - w).abs()).max().item<double>();
    return "values differ (max abs error " + std::to_string(max_err) + ")";
  }
  return "";
}

/// Runs one case; returns "" on success, else the reason it failed.
std::string run_case(const fs::path& dir) {
  const std::string model_path = (dir / "model.onnx").string();
  auto graph = onnx_io::load_model(model_path);
  exec::Executor ex(graph);
  int sets = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || !starts_with(entry.path().filename().string(), "test_data_set")) continue;
    ++sets;
    std::vector<at::Tensor> inputs(graph->inputs.size());
    for (size_t i = 0;; ++i) {
      const fs::path p = entry.path() / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      const auto t = read_pb(p);
      size_t slot = i;
      if (!t.name().empty() && graph->has_value(t.name())) {
        const int v = graph->value(t.name());
        const auto it = std::find(graph->inputs.begin(), graph->inputs.end(), v);
        if (it == graph->inputs.end()) continue;  // an initializer fed again as input
        slot = static_cast<size_t>(it - graph->inputs.begin());
      }
      if (slot >= inputs.size()) return "more inputs than the graph takes";
      inputs[slot] = onnx_io::to_tensor(t, p.string());
    }
    const auto outputs = ex.run(inputs);
    for (size_t i = 0; i < outputs.size(); ++i) {
      const fs::path p = entry.path() / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) continue;
      const std::string why = compare(outputs[i], onnx_io::to_tensor(read_pb(p), p.string()));
      if (!why.empty()) return entry.path().filename().string() + " output " + std::to_string(i) + ": " + why;
    }
  }
  if (sets == 0) return "no test_data_set";
  return "";
}

}  // namespace

TEST(Conformance, OnnxBackendNodeTests) {
  const fs::path root = CNNFI_ONNX_TESTDATA;
  if (!fs::exists(root)) GTEST_SKIP() << root << " is absent: install libonnx-testdata (scripts/setup.sh)";
  const auto skips = read_skips();
  int ran = 0, passed = 0, skipped = 0, unsupported = 0;
  std::vector<std::string> failures, stale;
  std::map<std::string, int> per_op;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator"}) {
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root / suite))
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    for (const auto& dir : cases) {
      const std::string name = dir.filename().string();
      onnx::ModelProto m;
      if (!m.ParseFromString(read_file((dir / "model.onnx").string()))) continue;
      if (!uses_only_supported_ops(m)) {
        ++unsupported;
        continue;
      }
      std::string why;
      try {
        why = run_case(dir);
      } catch (const std::exception& e) {
        why = e.what();
      }
      const bool listed = skips.count(name) > 0;
      if (listed) {
        ++skipped;
        if (why.empty()) stale.push_back(name);
        continue;
      }
      ++ran;
      if (why.empty()) {
        ++passed;
        for (const auto& n : m.graph().node()) per_op[n.op_type()]++;
      } else {
        failures.push_back(std::string(suite) + "/" + name + ": " + why.substr(0, 300));
      }
    }
  }
  std::printf("ONNX conformance: %d cases of supported operators ran, %d passed, %zu failed, %d skipped "
              "(listed in conformance_skips.txt); %d cases use operators cnnfi does not support\n",
              ran, passed, failures.size(), skipped, unsupported);
  for (const auto& f : failures) std::printf("  FAIL %s\n", f.c_str());
  for (const auto& s : stale) std::printf("  note: skipped case %s passes now; remove it from the list\n", s.c_str());
  for (const auto& e : ops::op_table())
    if (std::string(e.domain).empty() && !per_op.count(e.op_type)) std::printf("  note: no passing case exercises %s\n", e.op_type);
  EXPECT_TRUE(failures.empty());
  EXPECT_GT(passed, 100);
}

#include "fault/population.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "fault/generate.h"
#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::fault {

WeightFault Population::fault(int64_t u) const {
  if (u < 0 || u >= size()) fail("{}: fault unit {} outside the population of {}", param, u, size());
  const int64_t bi = u / per_bit(), v = u % per_bit();
  WeightFault f;
  f.id = u;
  f.param = param;
  f.flat_index = v / per_weight_bit();
  f.bit = bits[static_cast<size_t>(bi)];
  f.model = both_stuck_at ? (v % 2 ? FaultModel::stuck_at_1 : FaultModel::stuck_at_0) : model;
  f.burst = burst;
  return f;
}

std::vector<std::string> weight_tensors(const WeightInjector& inj, const exec::Executor& exec) {
  std::vector<std::string> out;
  const auto& g = exec.graph();
  for (const auto& n : g.nodes) {
    const int w = ops::find_op_entry(n.op_type)->weight_input;
    if (w >= 0 && w < static_cast<int>(n.inputs.size()) && n.inputs[w] >= 0) {
      const std::string& name = g.values[static_cast<size_t>(n.inputs[w])].name;
      if (inj.has(name) && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
  return out;
}

namespace {

std::string thousands(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

}  // namespace

std::string ParameterCounts::describe() const {
  return fmt::format(
      "{} parameters in {} weight tensors (BatchNorm's included); {} injectable in {} tensors (weights and biases, one "
      "memory word each); {} in the {} Conv/Gemm/MatMul weights (no biases: layers: all of seed 004)",
      thousands(weights), weight_tensors, thousands(injectable), injectable_tensors, thousands(layer_weights), layers);
}

ParameterCounts parameter_counts(const WeightInjector& inj, const exec::Executor& exec) {
  ParameterCounts c;
  const auto& g = exec.graph();
  for (int v : g.weights) {
    c.weights += g.tensors.at(v).numel();
    ++c.weight_tensors;
  }
  for (const auto& p : inj.params()) {
    c.injectable += inj.numel(p);
    ++c.injectable_tensors;
  }
  for (const auto& name : weight_tensors(inj, exec)) {
    c.layer_weights += inj.numel(name);
    ++c.layers;
  }
  return c;
}

std::vector<Population> populations(const WeightInjector& inj, const exec::Executor& exec, const LayerSelection& layers,
                                    const std::string& bits, const FaultModelChoice& fault_model) {
  const auto names = layers.all() ? weight_tensors(inj, exec) : select_layers(inj, layers);
  std::vector<Population> out;
  for (const auto& name : names) {
    Population p;
    p.param = name;
    p.weights = inj.numel(name);
    p.bits = select_bits(inj, name, bits);
    p.both_stuck_at = fault_model.stuck_at_pairs;
    p.model = fault_model.model;
    p.burst = fault_model.burst;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<int64_t> permutation_prefix(int64_t n, int64_t k, uint64_t seed) {
  k = std::clamp<int64_t>(k, 0, n);
  Rng rng(seed);
  std::unordered_map<int64_t, int64_t> moved;  // positions whose value differs from the identity
  auto at = [&](int64_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    const int64_t vi = at(i), vj = at(j);
    out.push_back(vj);
    moved[j] = vi;
  }
  return out;
}

}  // namespace cnnfi::fault

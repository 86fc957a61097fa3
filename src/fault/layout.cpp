#include "fault/layout.h"

#include <fmt/format.h>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::fault {

std::string Layout::describe() const {
  switch (kind) {
    case Kind::element: return "element";
    case Kind::dense: return fmt::format("dense:{}", word_bits);
    case Kind::finn: return fmt::format("finn:{},{}", pe, simd);
  }
  return "?";
}

Layout Layout::parse(const std::string& text) {
  const std::string s = trim(text);
  auto number = [&](const std::string& v, int lo, int hi, const char* what) {
    size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (v.empty() || used != v.size() || x < lo || x > hi)
      fail("layout '{}': {} '{}' must be an integer in [{}, {}]", s, what, v, lo, hi);
    return static_cast<int>(x);
  };
  Layout l;
  if (s == "element") return l;
  if (s == "dense") {
    l.kind = Kind::dense;
    return l;
  }
  if (s.rfind("dense:", 0) == 0) {
    l.kind = Kind::dense;
    l.word_bits = number(s.substr(6), 1, 64, "the word width");
    return l;
  }
  if (s.rfind("finn:", 0) == 0) {
    const auto parts = split(s.substr(5), ',');
    if (parts.size() != 2) fail("layout '{}': finn takes PE and SIMD, e.g. finn:16,32", s);
    l.kind = Kind::finn;
    l.pe = number(trim(parts[0]), 1, 1 << 16, "PE");
    l.simd = number(trim(parts[1]), 1, 1 << 16, "SIMD");
    return l;
  }
  fail("layout '{}': expected element, dense, dense:W (bits per word) or finn:PE,SIMD", s);
}

PackedTensor::PackedTensor(const Layout& layout, const std::vector<int64_t>& shape, int k) : layout_(layout), k_(k) {
  if (k < 1 || k > 32) fail("packed memory: element width {} bits is not in [1, 32]", k);
  numel_ = 1;
  for (auto d : shape) numel_ *= d;
  rows_ = shape.empty() ? 1 : shape[0];
  cols_ = rows_ > 0 ? numel_ / rows_ : 0;
  switch (layout.kind) {
    case Layout::Kind::element:
      word_bits_ = k;
      per_word_ = 1;
      words_ = numel_;
      break;
    case Layout::Kind::dense:
      word_bits_ = layout.word_bits;
      if (word_bits_ < k) fail("layout {}: a word of {} bits cannot hold a {}-bit element", layout.describe(), word_bits_, k);
      per_word_ = word_bits_ / k;
      words_ = (numel_ + per_word_ - 1) / per_word_;
      break;
    case Layout::Kind::finn:
      if (static_cast<int64_t>(layout.simd) * k > 64)
        fail("layout {}: SIMD {} x {} bits is wider than 64 bits", layout.describe(), layout.simd, k);
      word_bits_ = layout.simd * k;
      per_word_ = layout.simd;
      words_per_row_ = (cols_ + layout.simd - 1) / layout.simd;
      memories_ = std::min<int64_t>(layout.pe, std::max<int64_t>(rows_, 1));
      words_in_memory_.assign(static_cast<size_t>(memories_), 0);
      for (int64_t m = 0; m < memories_; ++m) {
        const int64_t neurons = (rows_ - m + layout.pe - 1) / layout.pe;  // o = m, m + PE, ...
        words_in_memory_[static_cast<size_t>(m)] = neurons * words_per_row_;
        words_ += neurons * words_per_row_;
      }
      break;
  }
}

MemoryBit PackedTensor::locate(int64_t e, int bit) const {
  if (e < 0 || e >= numel_ || bit < 0 || bit >= k_)
    fail("packed memory: element {} bit {} is outside the tensor ({} elements of {} bits)", e, bit, numel_, k_);
  MemoryBit m;
  if (layout_.kind == Layout::Kind::finn) {
    const int64_t o = e / cols_, i = e % cols_;
    m.memory = o % layout_.pe;
    m.word = (o / layout_.pe) * words_per_row_ + i / layout_.simd;
    m.lane = static_cast<int>((i % layout_.simd) * k_ + bit);
  } else {
    m.word = e / per_word_;
    m.lane = static_cast<int>((e % per_word_) * k_ + bit);
  }
  return m;
}

std::optional<ElementBit> PackedTensor::at(const MemoryBit& m) const {
  if (m.lane < 0 || m.lane >= word_bits_ || m.word < 0) return std::nullopt;
  const int64_t slot = m.lane / k_;
  const int bit = m.lane % k_;
  if (slot >= per_word_) return std::nullopt;  // padding
  if (layout_.kind == Layout::Kind::finn) {
    if (m.memory < 0 || m.memory >= memories_ || m.word >= words_in_memory_[static_cast<size_t>(m.memory)]) return std::nullopt;
    const int64_t o = (m.word / words_per_row_) * layout_.pe + m.memory;
    const int64_t i = (m.word % words_per_row_) * layout_.simd + slot;
    if (o >= rows_ || i >= cols_) return std::nullopt;
    return ElementBit{o * cols_ + i, bit};
  }
  if (m.memory != 0) return std::nullopt;
  const int64_t e = m.word * per_word_ + slot;
  if (e >= numel_) return std::nullopt;
  return ElementBit{e, bit};
}

std::vector<ElementBit> PackedTensor::burst(const MemoryBit& start, int length) const {
  std::vector<ElementBit> out;
  for (int lane = start.lane; lane < std::min(word_bits_, start.lane + length); ++lane)
    if (auto eb = at(MemoryBit{start.memory, start.word, lane})) out.push_back(*eb);
  return out;
}

std::vector<ElementRun> element_runs(const std::vector<ElementBit>& bits) {
  std::vector<ElementRun> out;
  for (const auto& b : bits) {
    if (!out.empty() && out.back().element == b.element && out.back().bit + out.back().bits == b.bit) {
      ++out.back().bits;
      continue;
    }
    out.push_back({b.element, b.bit, 1});
  }
  return out;
}

}  // namespace cnnfi::fault

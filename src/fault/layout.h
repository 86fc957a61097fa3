// Packed weight memory (seed 002: FINN accelerators): where the k bits of each stored weight lie
// in the memory words, so that a multi-bit upset (a burst of adjacent bits in one memory word)
// hits the weights an accelerator would lose together. A k-bit element never straddles words.
//   dense  row-major packing into words of W bits (default 32): floor(W / k) elements per word,
//          element e in word e / per, lanes (e % per) * k .. + k - 1 (bit b of the element at
//          lane (e % per) * k + b); the top W - per * k lanes are padding
//   finn   FINN's folding (PE, SIMD): output neuron o (dimension 0 of the tensor) belongs to
//          memory o % PE; a word holds SIMD consecutive input weights of one neuron (the other
//          dimensions, row-major), W = SIMD * k; neuron o's weights start at word
//          (o / PE) * ceil(K / SIMD) of its memory, K = inputs per neuron
// A burst of length L at (memory, word, lane) covers lanes lane .. lane + L - 1, clipped at the
// word's top; the element bits it covers are flipped (padding lanes hold nothing).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnfi::fault {

struct Layout {
  enum class Kind { element, dense, finn } kind = Kind::element;  ///< element: one element per word (no packing)
  int word_bits = 32;  ///< dense: W
  int pe = 1, simd = 1;  ///< finn
  bool packed() const { return kind != Kind::element; }
  std::string describe() const;
  /// "element", "dense", "dense:W", "finn:PE,SIMD"; errors name the value and the forms.
  static Layout parse(const std::string& s);
};

struct MemoryBit {
  int64_t memory = 0;  ///< finn: the PE's memory; dense: 0
  int64_t word = 0;
  int lane = 0;        ///< bit of the memory word, 0 = LSB
};

struct ElementBit {
  int64_t element = 0;  ///< row-major index into the tensor
  int bit = 0;          ///< bit of the element's k-bit word
};

/// Adjacent bits of one element: bits [bit, bit + bits) of `element`.
struct ElementRun {
  int64_t element = 0;
  int bit = 0;
  int bits = 1;
};
/// The element bits of a burst grouped per element (a burst covers adjacent bits of each).
std::vector<ElementRun> element_runs(const std::vector<ElementBit>& bits);

/// One tensor's elements of `k` bits in a layout.
class PackedTensor {
 public:
  PackedTensor(const Layout& layout, const std::vector<int64_t>& shape, int k);
  int word_bits() const { return word_bits_; }
  int64_t memories() const { return memories_; }
  int64_t words() const { return words_; }  ///< words of all memories together
  int64_t numel() const { return numel_; }
  int64_t data_bits() const { return numel_ * k_; }
  MemoryBit locate(int64_t element, int bit) const;
  /// The element bit at a memory bit; empty for a padding lane or an address outside.
  std::optional<ElementBit> at(const MemoryBit& m) const;
  /// The element bits a burst of `length` lanes from `start` upward covers (clipped at the top).
  std::vector<ElementBit> burst(const MemoryBit& start, int length) const;

 private:
  Layout layout_;
  int k_;
  int word_bits_;
  int64_t numel_ = 0, rows_ = 1, cols_ = 1, per_word_ = 1, words_per_row_ = 1, memories_ = 1, words_ = 0;
  std::vector<int64_t> words_in_memory_;
};

}  // namespace cnnfi::fault

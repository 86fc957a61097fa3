// Selection views over a source: --limit N and --per-class K.
#include <map>

#include <fmt/format.h>

#include "data/source.h"
#include "util/error.h"

namespace cnnfi::data {

namespace {

class IndexedSource : public Source {
 public:
  IndexedSource(std::unique_ptr<Source> base, std::vector<int64_t> index, std::string how)
      : base_(std::move(base)), index_(std::move(index)), how_(std::move(how)) {}
  int64_t size() const override { return static_cast<int64_t>(index_.size()); }
  ImageShape shape() const override { return base_->shape(); }
  std::string describe() const override { return base_->describe() + " " + how_; }
  std::vector<int64_t> labels() override {
    const auto all = base_->labels();
    std::vector<int64_t> out;
    for (auto i : index_) out.push_back(all[i]);
    return out;
  }
  void read(int64_t start, int64_t count, float* pixels, int64_t* labels) override {
    const int64_t per = base_->shape().pixels();
    // Read runs of consecutive records in one call.
    int64_t i = 0;
    while (i < count) {
      int64_t run = 1;
      while (i + run < count && index_[start + i + run] == index_[start + i] + run) ++run;
      base_->read(index_[start + i], run, pixels + i * per, labels + i);
      i += run;
    }
  }

 private:
  std::unique_ptr<Source> base_;
  std::vector<int64_t> index_;
  std::string how_;
};

}  // namespace

std::unique_ptr<Source> select(std::unique_ptr<Source> base, int64_t limit, int64_t per_class) {
  if (limit < 0) fail("--limit must be >= 0, got {}", limit);
  if (per_class < 0) fail("--per-class must be >= 0, got {}", per_class);
  std::vector<int64_t> index;
  std::string how;
  if (per_class > 0) {
    const auto labels = base->labels();
    std::map<int64_t, int64_t> taken;
    for (size_t i = 0; i < labels.size(); ++i)
      if (taken[labels[i]]++ < per_class) index.push_back(static_cast<int64_t>(i));
    for (const auto& [cls, n] : taken)
      if (n < per_class)
        fail("{}: --per-class {}: class {} has only {} images", base->describe(), per_class, cls, n);
    how = fmt::format("per-class {}", per_class);
  } else {
    if (limit == 0 || limit >= base->size()) return base;
    for (int64_t i = 0; i < limit; ++i) index.push_back(i);
    how = fmt::format("limit {}", limit);
  }
  if (limit > 0 && limit < static_cast<int64_t>(index.size())) {
    index.resize(static_cast<size_t>(limit));
    how += fmt::format(" limit {}", limit);
  }
  return std::make_unique<IndexedSource>(std::move(base), std::move(index), how);
}

}  // namespace cnnfi::data

// A cache of prompt embeddings, so a batch that repeats prompts runs the text encoder once per
// distinct prompt (1,000 assets sharing 20 prompts: 20 encoder runs).
//
// Entries are keyed by (encoder identity, prompt text, text_len): the identity names the weights
// and tokenizer the embedding came from (see file_identity()), so two encoders never share
// entries. Least-recently-used entries are evicted once the stored tensors exceed a byte budget.
// Thread-safe; the encoder runs outside the lock, so two threads missing on the same prompt at
// once may both encode it (the results are equal).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace motionfarm::model {

struct PromptKey {
  std::string encoder_identity;
  std::string prompt;
  int64_t text_len = 0;
};

// A short stable name for the contents of `paths` as they are now: a hash of each file's absolute
// path, size and modification time (not of the bytes, so a 10 GB checkpoint costs nothing to
// identify). Replacing a file changes it. Throws InputError naming a file that does not exist.
std::string file_identity(const std::vector<std::string>& paths);

class PromptEmbeddingCache {
 public:
  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    int64_t entries = 0;
    int64_t bytes = 0;  // of the stored tensors
  };

  // `byte_budget` >= 0; 0 disables storing (every lookup misses).
  explicit PromptEmbeddingCache(int64_t byte_budget);

  // The cached embedding for `key`, or `encode()`'s result, which is stored (evicting the least
  // recently used entries beyond the budget; an embedding larger than the whole budget is
  // returned but not stored). An exception from `encode` propagates and nothing is stored.
  at::Tensor get_or_encode(const PromptKey& key, const std::function<at::Tensor()>& encode);

  // The cached embedding (marking it most recently used), counted as a hit or a miss.
  std::optional<at::Tensor> lookup(const PromptKey& key);
  // Stores (or replaces) `embedding`. A view of a larger buffer is copied so the entry holds only
  // its own bytes.
  void insert(const PromptKey& key, const at::Tensor& embedding);

  Stats stats() const;
  int64_t byte_budget() const { return byte_budget_; }
  void clear();

 private:
  struct Entry {
    std::string key;
    at::Tensor embedding;
    int64_t bytes = 0;
  };

  static std::string serialize(const PromptKey& key);
  void evict_to_budget();  // caller holds mutex_

  const int64_t byte_budget_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Stats stats_;
};

}  // namespace motionfarm::model

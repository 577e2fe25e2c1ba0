#include "model/prompt_cache.h"

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/check.h"
#include "core/error.h"

namespace motionfarm::model {
namespace {

// FNV-1a, 64 bit: stable across runs and platforms, unlike std::hash.
void fnv1a(uint64_t& hash, const std::string& bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  hash ^= 0xFF;  // field separator, so ("ab", "c") and ("a", "bc") differ
  hash *= 1099511628211ULL;
}

int64_t tensor_bytes(const at::Tensor& tensor) {
  return tensor.numel() * static_cast<int64_t>(tensor.element_size());
}

}  // namespace

std::string file_identity(const std::vector<std::string>& paths) {
  uint64_t hash = 14695981039346656037ULL;
  for (const std::string& path : paths) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(path, error);
    const auto size = std::filesystem::file_size(path, error);
    if (error) throw InputError("cannot identify '" + path + "': " + error.message());
    const auto modified = std::filesystem::last_write_time(path, error);
    if (error) throw InputError("cannot identify '" + path + "': " + error.message());
    fnv1a(hash, absolute.lexically_normal().string());
    fnv1a(hash, std::to_string(size));
    fnv1a(hash, std::to_string(modified.time_since_epoch().count()));
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

PromptEmbeddingCache::PromptEmbeddingCache(int64_t byte_budget) : byte_budget_(byte_budget) {
  MF_CHECK_GE(byte_budget, 0, ConfigError, "the prompt cache's byte budget cannot be negative");
}

std::string PromptEmbeddingCache::serialize(const PromptKey& key) {
  // Length-prefixed fields: no choice of identity or prompt text can collide with another.
  return std::to_string(key.encoder_identity.size()) + ":" + key.encoder_identity +
         std::to_string(key.text_len) + ":" + key.prompt;
}

std::optional<at::Tensor> PromptEmbeddingCache::lookup(const PromptKey& key) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto found = index_.find(serialize(key));
  if (found == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, found->second);
  return found->second->embedding;
}

void PromptEmbeddingCache::insert(const PromptKey& key, const at::Tensor& embedding) {
  MF_CHECK(embedding.defined(), ModelError, "cannot cache an undefined prompt embedding");
  const int64_t bytes = tensor_bytes(embedding);
  if (bytes > byte_budget_) return;
  // A narrow() of the encoder's padded output would keep the whole buffer alive.
  const bool owns_its_bytes =
      embedding.is_contiguous() && static_cast<int64_t>(embedding.storage().nbytes()) == bytes;
  at::Tensor stored = owns_its_bytes ? embedding : embedding.clone(at::MemoryFormat::Contiguous);
  const std::string serialized = serialize(key);
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto found = index_.find(serialized);
  if (found != index_.end()) {
    stats_.bytes -= found->second->bytes;
    lru_.erase(found->second);
    index_.erase(found);
  }
  lru_.push_front(Entry{serialized, std::move(stored), bytes});
  index_[serialized] = lru_.begin();
  stats_.bytes += bytes;
  evict_to_budget();
  stats_.entries = static_cast<int64_t>(lru_.size());
}

at::Tensor PromptEmbeddingCache::get_or_encode(const PromptKey& key,
                                               const std::function<at::Tensor()>& encode) {
  if (std::optional<at::Tensor> cached = lookup(key)) return *cached;
  at::Tensor embedding = encode();
  insert(key, embedding);
  return embedding;
}

void PromptEmbeddingCache::evict_to_budget() {
  while (stats_.bytes > byte_budget_ && !lru_.empty()) {
    stats_.bytes -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

PromptEmbeddingCache::Stats PromptEmbeddingCache::stats() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void PromptEmbeddingCache::clear() {
  const std::lock_guard<std::mutex> lock(mutex_);
  lru_.clear();
  index_.clear();
  stats_.bytes = 0;
  stats_.entries = 0;
}

}  // namespace motionfarm::model

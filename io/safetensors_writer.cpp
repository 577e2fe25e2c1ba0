#include "io/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/check.h"
#include "io/mapped_file.h"
#include "io/safetensors_dtype.h"

namespace motionfarm::io {

namespace fs = std::filesystem;

namespace {

uint64_t byte_size(const at::Tensor& tensor) {
  return static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
}

void write_all(int fd, const void* data, uint64_t size, const std::string& path) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    // Linux writes at most ~2 GiB per call; larger tensors take several.
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size, 1ull << 30));
    const ssize_t written = ::write(fd, bytes, chunk);
    if (written < 0 && errno == EINTR) continue;
    MF_CHECK(written > 0, Error, path << ": write failed: " << std::strerror(errno));
    bytes += written;
    size -= static_cast<uint64_t>(written);
  }
}

// A name no other writer (thread or process) picks: pid plus a per-process counter.
std::string temporary_name_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  std::ostringstream name;
  name << path << ".tmp." << ::getpid() << "." << counter.fetch_add(1);
  return name.str();
}

// Writes `header` then each tensor's bytes to `path` atomically (see the header comment).
void write_file_atomically(const std::string& path, const std::string& header,
                           const std::vector<const at::Tensor*>& tensors) {
  const std::string temporary = temporary_name_for(path);
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  MF_CHECK(fd.valid(), Error,
           path << ": cannot create " << temporary << ": " << std::strerror(errno));
  try {
    write_all(fd.get(), header.data(), header.size(), path);
    for (const at::Tensor* tensor : tensors) {
      write_all(fd.get(), tensor->data_ptr(), byte_size(*tensor), path);
    }
    MF_CHECK(::fsync(fd.get()) == 0, Error, path << ": fsync failed: " << std::strerror(errno));
    const int close_error = fd.close();
    MF_CHECK(close_error == 0, Error, path << ": close failed: " << std::strerror(close_error));
    MF_CHECK(std::rename(temporary.c_str(), path.c_str()) == 0, Error,
             path << ": cannot rename " << temporary << " into place: " << std::strerror(errno));
  } catch (...) {
    fd.close();
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename is durable only once the folder's entry is on disk. Best effort: some file
  // systems refuse to fsync a directory, and the data itself is already safe.
  std::string folder = fs::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  UniqueFd directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) ::fsync(directory.get());
}

std::string shard_name(const std::string& stem, size_t index, size_t count) {
  std::ostringstream name;
  name << stem << '-' << std::setw(5) << std::setfill('0') << index << "-of-" << std::setw(5)
       << std::setfill('0') << count << ".safetensors";
  return name.str();
}

}  // namespace

void SafetensorsWriter::add(const std::string& name, const at::Tensor& tensor) {
  MF_CHECK(!name.empty(), Error, "a safetensors tensor needs a non-empty name");
  MF_CHECK(name != "__metadata__", Error,
           "\"__metadata__\" is reserved by the safetensors format and cannot name a tensor");
  MF_CHECK(tensor.defined(), Error, "tensor \"" << name << "\" is undefined");
  MF_CHECK(tensors_.count(name) == 0, Error, "tensor \"" << name << "\" was already added");
  MF_CHECK(safetensors_dtype_of(tensor.scalar_type()).has_value(), Error,
           "tensor \"" << name << "\" has dtype " << tensor.scalar_type()
                       << ", which safetensors files cannot hold (motionfarm writes: "
                       << supported_safetensors_dtypes() << ")");
  MF_CHECK(tensor.layout() == at::kStrided, Error,
           "tensor \"" << name << "\" is not dense (layout " << tensor.layout() << ")");
  at::Tensor copy =
      at::empty(tensor.sizes(), at::TensorOptions().dtype(tensor.scalar_type()).device(at::kCPU));
  copy.copy_(tensor.detach());
  tensors_.emplace(name, std::move(copy));
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

uint64_t SafetensorsWriter::data_bytes() const {
  uint64_t total = 0;
  for (const auto& [name, tensor] : tensors_) total += byte_size(tensor);
  return total;
}

void SafetensorsWriter::write(const std::string& path) const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  // Element sizes are powers of two, so after the padded header each tensor starts at a multiple
  // of its own element size when the larger ones come first (see the header comment).
  std::vector<std::pair<const std::string*, const at::Tensor*>> layout;
  for (const auto& [name, tensor] : tensors_) layout.emplace_back(&name, &tensor);
  std::stable_sort(layout.begin(), layout.end(), [](const auto& a, const auto& b) {
    return a.second->element_size() > b.second->element_size();  // ties keep name order
  });
  std::vector<const at::Tensor*> in_order;
  uint64_t offset = 0;
  for (const auto& [name_ptr, tensor_ptr] : layout) {
    const std::string& name = *name_ptr;
    const at::Tensor& tensor = *tensor_ptr;
    const uint64_t end = offset + byte_size(tensor);
    header[name] = {{"dtype", to_string(*safetensors_dtype_of(tensor.scalar_type()))},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offset, end}}};
    in_order.push_back(&tensor);
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string prefix(8, '\0');
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  write_file_atomically(path, prefix + text, in_order);
}

std::string write_sharded_safetensors(
    const std::string& directory, const std::string& stem,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors, uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata) {
  MF_CHECK(!tensors.empty(), Error, directory << ": no tensors to write as " << stem);
  MF_CHECK(max_shard_bytes > 0, Error, directory << ": the shard size limit must be positive");
  MF_CHECK(!stem.empty() && stem.find('/') == std::string::npos, Error,
           directory << ": \"" << stem << "\" is not a file name stem");

  // Greedy fill in the given order, which keeps a model's layers together as the releases do.
  std::vector<std::vector<size_t>> shards;
  uint64_t shard_bytes = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < tensors.size(); ++i) {
    MF_CHECK(seen.insert(tensors[i].first).second, Error,
             directory << ": tensor \"" << tensors[i].first << "\" appears twice");
    MF_CHECK(tensors[i].second.defined(), Error,
             directory << ": tensor \"" << tensors[i].first << "\" is undefined");
    const uint64_t bytes = byte_size(tensors[i].second);
    if (shards.empty() || (shard_bytes > 0 && shard_bytes + bytes > max_shard_bytes)) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(i);
    shard_bytes += bytes;
  }

  std::error_code error;
  fs::create_directories(directory, error);
  MF_CHECK(!error, Error, directory << ": cannot create the directory: " << error.message());

  nlohmann::json weight_map = nlohmann::json::object();
  uint64_t total_size = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    const std::string name = shard_name(stem, s + 1, shards.size());
    SafetensorsWriter writer;
    for (const auto& [key, value] : metadata) writer.set_metadata(key, value);
    for (size_t i : shards[s]) {
      writer.add(tensors[i].first, tensors[i].second);
      weight_map[tensors[i].first] = name;
    }
    total_size += writer.data_bytes();
    writer.write((fs::path(directory) / name).string());
  }
  const nlohmann::json index = {{"metadata", {{"total_size", total_size}}},
                                {"weight_map", weight_map}};
  const std::string index_path =
      (fs::path(directory) / (stem + ".safetensors.index.json")).string();
  write_file_atomically(index_path, index.dump(2) + "\n", {});
  return index_path;
}

}  // namespace motionfarm::io

#include "io/safetensors_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/check.h"

namespace motionfarm::io {

namespace fs = std::filesystem;

struct SafetensorsCheckpoint::State {
  std::string path;
  std::vector<SafetensorsFile> files;
  std::map<std::string, size_t> file_of_tensor;  // tensor name -> index into `files`
};

namespace {

constexpr const char* kIndexSuffix = ".safetensors.index.json";
constexpr const char* kFileSuffix = ".safetensors";
// An index lists names and file names only; real ones are well under a few MiB.
constexpr uintmax_t kMaxIndexBytes = 64ull << 20;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// The index or single file a directory stands for.
std::string resolve_directory(const std::string& directory) {
  std::vector<std::string> indexes;
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) continue;
    if (ends_with(name, kIndexSuffix)) indexes.push_back(name);
    if (ends_with(name, kFileSuffix)) files.push_back(name);
  }
  MF_CHECK(!error, InputError, directory << ": cannot list the directory: " << error.message());
  std::sort(indexes.begin(), indexes.end());
  std::sort(files.begin(), files.end());
  MF_CHECK(indexes.size() <= 1, InputError,
           directory << ": holds " << indexes.size() << " safetensors indexes ("
                     << join_names(indexes) << "); name the one to load");
  if (indexes.size() == 1) return (fs::path(directory) / indexes.front()).string();
  MF_CHECK(!files.empty(), InputError,
           directory << ": holds no .safetensors file and no " << kIndexSuffix);
  MF_CHECK(files.size() == 1, InputError,
           directory << ": holds " << files.size() << " .safetensors files (" << join_names(files)
                     << ") and no " << kIndexSuffix << " saying how they fit together");
  return (fs::path(directory) / files.front()).string();
}

nlohmann::json read_index(const std::string& index_path) {
  std::error_code error;
  const uintmax_t size = fs::file_size(index_path, error);
  MF_CHECK(!error, InputError, index_path << ": cannot read the index: " << error.message());
  MF_CHECK(size <= kMaxIndexBytes, InputError,
           index_path << ": index of " << size << " bytes exceeds the limit of " << kMaxIndexBytes
                      << " bytes");
  std::ifstream in(index_path, std::ios::binary);
  MF_CHECK(in.good(), InputError, index_path << ": cannot open the index for reading");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& parse_error) {
    MF_CHECK(false, InputError, index_path << ": index is not valid JSON: " << parse_error.what());
  }
  return {};
}

// weight_map names a shard relative to the index's folder; anything that could leave it is
// refused, since an index is as untrusted as the weights.
void check_shard_name(const std::string& shard, const std::string& tensor,
                      const std::string& index_path) {
  const fs::path relative(shard);
  bool escapes = shard.empty() || relative.is_absolute();
  for (const auto& part : relative) escapes = escapes || part == "..";
  MF_CHECK(!escapes, InputError,
           index_path << ": weight_map puts \"" << tensor << "\" in \"" << shard
                      << "\", which is not a file name inside the index's folder");
}

}  // namespace

SafetensorsCheckpoint::SafetensorsCheckpoint(std::shared_ptr<const State> state)
    : state_(std::move(state)) {}

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::string& path) {
  auto state = std::make_shared<State>();
  state->path = path;
  std::error_code error;
  MF_CHECK(fs::exists(path, error), InputError, path << ": no such file or directory");
  const std::string target = fs::is_directory(path, error) ? resolve_directory(path) : path;

  if (!ends_with(target, kIndexSuffix)) {
    state->files.push_back(SafetensorsFile::open(target));
    for (const auto& info : state->files.front().tensors()) state->file_of_tensor[info.name] = 0;
    return SafetensorsCheckpoint(std::move(state));
  }

  const nlohmann::json index = read_index(target);
  MF_CHECK(index.is_object(), InputError, target << ": index is not a JSON object");
  const auto weight_map = index.find("weight_map");
  MF_CHECK(weight_map != index.end() && weight_map->is_object(), InputError,
           target << ": index has no \"weight_map\" object");

  // Each shard opened once, in path order, so files() and error messages are deterministic.
  std::map<std::string, std::string> shard_of_tensor;  // tensor -> shard name
  std::map<std::string, size_t> file_index;            // shard name -> index into files
  for (const auto& [tensor, shard] : weight_map->items()) {
    MF_CHECK(shard.is_string(), InputError,
             target << ": weight_map entry \"" << tensor << "\" is not a file name string");
    check_shard_name(shard.get<std::string>(), tensor, target);
    shard_of_tensor[tensor] = shard.get<std::string>();
    file_index.emplace(shard.get<std::string>(), 0);
  }
  const fs::path folder = fs::path(target).parent_path();
  for (auto& [shard, slot] : file_index) {
    const std::string shard_path = (folder / shard).string();
    MF_CHECK(fs::exists(shard_path, error), InputError,
             target << ": weight_map names shard \"" << shard << "\", which does not exist ("
                    << shard_path << ")");
    slot = state->files.size();
    state->files.push_back(SafetensorsFile::open(shard_path));
  }

  // Every stored tensor belongs to exactly one shard, listed or not: a second copy is ambiguous.
  std::map<std::string, size_t> stored_in;
  for (size_t i = 0; i < state->files.size(); ++i) {
    for (const auto& info : state->files[i].tensors()) {
      const auto [existing, inserted] = stored_in.emplace(info.name, i);
      MF_CHECK(inserted, InputError,
               target << ": tensor \"" << info.name << "\" is stored in two shards, "
                      << state->files[existing->second].path() << " and "
                      << state->files[i].path());
    }
  }
  for (const auto& [tensor, shard] : shard_of_tensor) {
    const size_t index_of_file = file_index.at(shard);
    MF_CHECK(state->files[index_of_file].contains(tensor), InputError,
             target << ": weight_map puts \"" << tensor << "\" in " << shard
                    << ", which has no such tensor");
    state->file_of_tensor[tensor] = index_of_file;
  }
  return SafetensorsCheckpoint(std::move(state));
}

const SafetensorsFile* SafetensorsCheckpoint::shard_of(const std::string& name) const {
  const auto found = state_->file_of_tensor.find(name);
  return found == state_->file_of_tensor.end() ? nullptr : &state_->files[found->second];
}

std::vector<SafetensorsTensorInfo> SafetensorsCheckpoint::tensors() const {
  std::vector<SafetensorsTensorInfo> all;
  all.reserve(state_->file_of_tensor.size());
  // file_of_tensor is a map, so the names come out sorted.
  for (const auto& [name, file] : state_->file_of_tensor) {
    all.push_back(*state_->files[file].find(name));
  }
  return all;
}

const SafetensorsTensorInfo* SafetensorsCheckpoint::find(const std::string& name) const {
  const SafetensorsFile* shard = shard_of(name);
  return shard == nullptr ? nullptr : shard->find(name);
}

bool SafetensorsCheckpoint::contains(const std::string& name) const {
  return shard_of(name) != nullptr;
}

at::Tensor SafetensorsCheckpoint::tensor(const std::string& name) const {
  const SafetensorsFile* shard = shard_of(name);
  MF_CHECK(shard != nullptr, InputError,
           state_->path << ": checkpoint has no tensor \"" << name << "\"");
  return shard->tensor(name);
}

std::string SafetensorsCheckpoint::file_of(const std::string& name) const {
  const SafetensorsFile* shard = shard_of(name);
  MF_CHECK(shard != nullptr, InputError,
           state_->path << ": checkpoint has no tensor \"" << name << "\"");
  return shard->path();
}

const std::string& SafetensorsCheckpoint::path() const { return state_->path; }

const std::vector<SafetensorsFile>& SafetensorsCheckpoint::files() const { return state_->files; }

}  // namespace motionfarm::io

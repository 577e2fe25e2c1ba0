#include "io/safetensors_file.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/check.h"
#include "io/mapped_file.h"

namespace motionfarm::io {

struct SafetensorsFile::State {
  std::shared_ptr<MappedFile> mapping;
  SafetensorsHeader header;
};

namespace {

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kHostIsLittleEndian = false;
#else
constexpr bool kHostIsLittleEndian = true;
#endif

}  // namespace

SafetensorsFile::SafetensorsFile(std::shared_ptr<const State> state) : state_(std::move(state)) {}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  MF_CHECK(kHostIsLittleEndian, InputError,
           path << ": safetensors data is little-endian and this host is big-endian, which "
                   "motionfarm does not support");
  auto state = std::make_shared<State>();
  state->mapping = std::make_shared<MappedFile>(MappedFile::open(path));
  state->header = parse_safetensors_header(state->mapping->data(), state->mapping->size(), path);
  return SafetensorsFile(std::move(state));
}

const std::string& SafetensorsFile::path() const { return state_->mapping->path(); }

const std::vector<SafetensorsTensorInfo>& SafetensorsFile::tensors() const {
  return state_->header.tensors;
}

const SafetensorsTensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto& tensors = state_->header.tensors;
  const auto found =
      std::lower_bound(tensors.begin(), tensors.end(), name,
                       [](const auto& info, const auto& key) { return info.name < key; });
  return found != tensors.end() && found->name == name ? &*found : nullptr;
}

bool SafetensorsFile::contains(const std::string& name) const { return find(name) != nullptr; }

const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return state_->header.metadata;
}

const uint8_t* SafetensorsFile::data_section() const {
  return state_->mapping->data() + state_->header.data_section_offset;
}

uint64_t SafetensorsFile::data_section_bytes() const {
  return state_->mapping->size() - state_->header.data_section_offset;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsTensorInfo* info = find(name);
  MF_CHECK(info != nullptr, InputError, path() << ": has no tensor \"" << name << "\"");
  uint8_t* bytes = state_->mapping->data() + state_->header.data_section_offset + info->data_begin;
  const uint64_t byte_count = info->data_end - info->data_begin;
  const auto options = at::TensorOptions().dtype(to_scalar_type(info->dtype)).device(at::kCPU);

  if (info->dtype == SafetensorsDtype::BOOL) {
    // Any other byte value is undefined behaviour for C++ bool, which at::kBool is.
    const bool valid = std::all_of(bytes, bytes + byte_count, [](uint8_t b) { return b <= 1; });
    MF_CHECK(valid, InputError,
             path() << ": BOOL tensor \"" << name << "\" holds bytes other than 0 and 1");
  }
  const bool aligned = reinterpret_cast<uintptr_t>(bytes) % element_size(info->dtype) == 0;
  if (!aligned) {
    // Files from writers without header padding: unaligned loads are undefined behaviour for
    // the kernels, so these tensors are copied rather than viewed.
    at::Tensor copy = at::empty(info->shape, options);
    if (byte_count > 0) std::memcpy(copy.data_ptr(), bytes, byte_count);
    return copy;
  }
  // The deleter owns a reference to the mapping: it is unmapped when the last view goes away.
  std::shared_ptr<MappedFile> keep_alive = state_->mapping;
  return at::from_blob(
      bytes, info->shape, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
}

}  // namespace motionfarm::io

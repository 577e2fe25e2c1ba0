#include "model/tokenizer_sentencepiece.h"

#include <dlfcn.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "model/tokenizer_sentencepiece_api.h"

namespace motionfarm::model {
namespace {

constexpr const char* kModuleFile = "libmotionfarm_sentencepiece.so";

// The module's entry points, resolved once per process. The module is never unloaded: it holds
// protobuf's static state, which does not survive dlclose.
struct ModuleApi {
  decltype(&motionfarm_spm_open) open = nullptr;
  decltype(&motionfarm_spm_close) close = nullptr;
  decltype(&motionfarm_spm_encode) encode = nullptr;
  decltype(&motionfarm_spm_piece_size) piece_size = nullptr;
  decltype(&motionfarm_spm_eos_id) eos_id = nullptr;
  decltype(&motionfarm_spm_pad_id) pad_id = nullptr;
};

std::vector<std::string> module_candidates() {
  std::vector<std::string> candidates;
  if (const char* from_env = std::getenv("MOTIONFARM_SENTENCEPIECE_MODULE")) {
    candidates.emplace_back(from_env);
  }
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back((executable.parent_path() / kModuleFile).string());
#ifdef MOTIONFARM_SENTENCEPIECE_MODULE
  candidates.emplace_back(MOTIONFARM_SENTENCEPIECE_MODULE);
#endif
  return candidates;
}

// Opens the module with RTLD_DEEPBIND, so that it and libsentencepiece bind to their own
// protobuf (tokenizer_sentencepiece_api.h says why). AddressSanitizer's dlopen interceptor refuses
// DEEPBIND, because a deep-bound library could reach libc's malloc behind the sanitizer's back; in
// a sanitizer build (scripts/sanitize, detected by its runtime's entry point) the module is built
// with the sanitizer too, so its own first dependency is the sanitizer's runtime and its malloc is
// the sanitizer's, and only C types in caller-owned buffers cross the boundary: there it is opened
// through libc's own dlopen, past the interceptor.
void* open_module(const std::string& path) {
  constexpr int kFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
  if (dlsym(RTLD_DEFAULT, "__asan_init") == nullptr) return dlopen(path.c_str(), kFlags);
  using Dlopen = void* (*)(const char*, int);
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  const auto libc_dlopen =
      libc != nullptr ? reinterpret_cast<Dlopen>(dlsym(libc, "dlopen")) : nullptr;
  return libc_dlopen != nullptr ? libc_dlopen(path.c_str(), kFlags) : dlopen(path.c_str(), kFlags);
}

template <class Function>
void resolve(void* library, const char* name, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, name));
  if (function == nullptr) {
    throw NotAvailableError(std::string("the SentencePiece module lacks ") + name +
                            ": rebuild motionfarm");
  }
}

const ModuleApi& module_api() {
  static std::once_flag once;
  static ModuleApi api;
  static std::string failure;
  std::call_once(once, [] {
    std::string looked_at;
    void* library = nullptr;
    for (const std::string& candidate : module_candidates()) {
      if (!std::filesystem::exists(candidate)) {
        looked_at += "\n  " + candidate + " (missing)";
        continue;
      }
      library = open_module(candidate);
      if (library != nullptr) break;
      looked_at += "\n  " + candidate + " (" + dlerror() + ")";
    }
    if (library == nullptr) {
      failure = "cannot load the SentencePiece tokenizer module " + std::string(kModuleFile) +
                "; set MOTIONFARM_SENTENCEPIECE_MODULE to its path. Looked at:" + looked_at;
      return;
    }
    try {
      resolve(library, "motionfarm_spm_open", api.open);
      resolve(library, "motionfarm_spm_close", api.close);
      resolve(library, "motionfarm_spm_encode", api.encode);
      resolve(library, "motionfarm_spm_piece_size", api.piece_size);
      resolve(library, "motionfarm_spm_eos_id", api.eos_id);
      resolve(library, "motionfarm_spm_pad_id", api.pad_id);
    } catch (const NotAvailableError& error) {
      failure = error.what();
    }
  });
  if (!failure.empty()) throw NotAvailableError(failure);
  return api;
}

}  // namespace

struct SentencePieceModel::Handle {
  MotionfarmSentencePiece* model = nullptr;
  std::string path;

  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (model != nullptr) module_api().close(model);
  }
};

SentencePieceModel::SentencePieceModel(std::shared_ptr<const Handle> handle)
    : handle_(std::move(handle)) {}

SentencePieceModel SentencePieceModel::load(const std::string& model_path) {
  const ModuleApi& api = module_api();
  std::array<char, 512> error{};
  auto handle = std::make_shared<Handle>();
  handle->path = model_path;
  handle->model = api.open(model_path.c_str(), error.data(), error.size());
  if (handle->model == nullptr) {
    throw InputError("tokenizer model '" + model_path +
                     "' is not a SentencePiece model: " + error.data());
  }
  return SentencePieceModel(std::move(handle));
}

std::vector<int> SentencePieceModel::encode(const std::string& text) const {
  const ModuleApi& api = module_api();
  std::array<char, 512> error{};
  // Most prompts fit a first guess of one id per byte; otherwise ask again with the exact size.
  std::vector<int> ids(text.size() + 1);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const long count = api.encode(handle_->model, text.data(), text.size(), ids.data(), ids.size(),
                                  error.data(), error.size());
    if (count < 0) {
      throw InputError("cannot tokenize the prompt with '" + handle_->path + "': " + error.data());
    }
    const bool fitted = static_cast<std::size_t>(count) <= ids.size();
    ids.resize(static_cast<std::size_t>(count));
    if (fitted) return ids;
  }
  throw InputError("the tokenizer '" + handle_->path + "' gave different lengths for one prompt");
}

int SentencePieceModel::piece_size() const { return module_api().piece_size(handle_->model); }
int SentencePieceModel::eos_id() const { return module_api().eos_id(handle_->model); }
int SentencePieceModel::pad_id() const { return module_api().pad_id(handle_->model); }

}  // namespace motionfarm::model

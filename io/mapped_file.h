// RAII over a POSIX file descriptor and over a whole-file memory mapping.
//
// `MappedFile` maps a regular file once and unmaps it on destruction; safetensors tensors hold a
// shared_ptr to it so the mapping lives exactly as long as the last tensor that views it.
// The mapping is private copy-on-write: the file is never modified, and a caller that writes into
// a tensor viewing it gets private pages instead of a SIGSEGV. A file truncated by another process
// while mapped still raises SIGBUS on access; that is outside what a reader can prevent.
#pragma once

#include <cstdint>
#include <string>

namespace motionfarm::io {

// Owns one file descriptor; closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now and returns close()'s errno (0 on success): a writer must see a failed close,
  // because on NFS that is where a full disk shows up.
  int close();

 private:
  int fd_ = -1;
};

// A regular file mapped into memory in full. Movable, not copyable; share it via shared_ptr.
class MappedFile {
 public:
  // Throws InputError naming the file when it is missing, unreadable, not a regular file or
  // cannot be mapped. An empty file maps to data() == nullptr, size() == 0.
  static MappedFile open(const std::string& path);

  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  // Non-const bytes because the mapping is copy-on-write (see the header comment); writes stay
  // in this process.
  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  MappedFile(std::string path, uint8_t* data, uint64_t size);
  void unmap();

  std::string path_;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace motionfarm::io

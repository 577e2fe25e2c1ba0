#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/check.h"

namespace motionfarm::io {

UniqueFd::~UniqueFd() { close(); }

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

int UniqueFd::close() {
  if (fd_ < 0) return 0;
  // Linux releases the descriptor even when close() fails, so it is never retried (EINTR included).
  const int result = ::close(std::exchange(fd_, -1));
  return result == 0 ? 0 : errno;
}

MappedFile::MappedFile(std::string path, uint8_t* data, uint64_t size)
    : path_(std::move(path)), data_(data), size_(size) {}

MappedFile::~MappedFile() { unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::unmap() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

MappedFile MappedFile::open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  MF_CHECK(fd.valid(), InputError, path << ": cannot open for reading: " << std::strerror(errno));
  struct stat info {};
  MF_CHECK(::fstat(fd.get(), &info) == 0, InputError,
           path << ": cannot stat: " << std::strerror(errno));
  MF_CHECK(S_ISREG(info.st_mode), InputError, path << ": not a regular file");
  const auto size = static_cast<uint64_t>(info.st_size);
  if (size == 0) return MappedFile(path, nullptr, 0);  // mmap rejects a zero length
  MF_CHECK(size <= static_cast<uint64_t>(SIZE_MAX), InputError,
           path << ": file of " << size << " bytes does not fit the address space");
  void* base =
      ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0);
  MF_CHECK(base != MAP_FAILED, InputError,
           path << ": cannot map " << size << " bytes: " << std::strerror(errno));
  // The mapping stays valid after the descriptor is closed (when `fd` goes out of scope).
  return MappedFile(path, static_cast<uint8_t*>(base), size);
}

}  // namespace motionfarm::io

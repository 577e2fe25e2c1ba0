#include "core/disk_full.h"

#include <cerrno>
#include <cstring>

namespace motionfarm::core {

bool is_out_of_space(int errno_value) {
  return errno_value == ENOSPC || errno_value == EDQUOT || errno_value == EFBIG;
}

std::string disk_full_text(int errno_value) {
  return "the disk is full (" + std::string(std::strerror(errno_value)) +
         "): free space there and rerun the same command; finished work is kept";
}

}  // namespace motionfarm::core

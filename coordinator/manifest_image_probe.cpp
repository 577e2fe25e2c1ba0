#include "coordinator/manifest_image_probe.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/image_header.h"
#include "io/mapped_file.h"

namespace motionfarm::coordinator {

ImageProbe probe_image(const std::string& path) {
  namespace fs = std::filesystem;
  ImageProbe probe;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    probe.problem = "image " + path +
                    " does not exist (relative paths start from the folder of the file that "
                    "names them)";
    return probe;
  }
  if (!fs::is_regular_file(status)) {
    probe.problem = "image " + path + " is not a file" +
                    (fs::is_directory(status) ? " but a folder: use glob: to take every image in it"
                                              : ": give the path of a PNG, JPEG or WebP file");
    return probe;
  }
  if (::access(path.c_str(), R_OK) != 0) {
    probe.problem =
        "image " + path + " cannot be read (" + std::strerror(errno) + "): check its permissions";
    return probe;
  }
  try {
    const io::MappedFile file = io::MappedFile::open(path);
    if (file.size() == 0) {
      probe.problem = "image " + path + " is an empty file: export it again";
      return probe;
    }
    const io::ImageHeader header = io::read_image_header(file.data(), file.size(), path);
    if (!header.complete) {
      probe.problem =
          "image " + path + " is cut short (" + header.incomplete_reason + "): copy it again";
      return probe;
    }
    if (header.width <= 0 || header.height <= 0) {
      probe.problem = "image " + path + " has a zero size (" + std::to_string(header.width) + "x" +
                      std::to_string(header.height) + "): export it again";
      return probe;
    }
    if (io::exceeds_pixel_limit(header, io::kDefaultMaxImagePixels)) {
      probe.problem = "image " + path + " is " + std::to_string(header.width) + "x" +
                      std::to_string(header.height) + " pixels by its header, over the " +
                      std::to_string(io::kDefaultMaxImagePixels) +
                      "-pixel limit of the decoder: scale it down";
      return probe;
    }
    probe.usable = true;
    probe.format = io::to_string(header.container);
    probe.width = header.width;
    probe.height = header.height;
  } catch (const InputError& bad_image) {
    probe.problem = bad_image.what();
  }
  return probe;
}

}  // namespace motionfarm::coordinator

// The error types every motionfarm library throws.
//
// One base (`motionfarm::Error`) and a few subclasses where callers act differently: a bad manifest
// or input is reported and the asset skipped, a checkpoint error makes the segment recompute, a
// communication error ends the job. Messages say what was wrong, where, and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace motionfarm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A job description or option that cannot work: the message carries file:line:col when known.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// An input file (image, weights, manifest-referenced file) that is missing or malformed; the
// message names the file.
class InputError : public Error {
 public:
  using Error::Error;
};

// A latent checkpoint that is corrupt, truncated or from another model/config.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

// A write the file system refused for lack of room (no space, quota, file-size limit): the message
// names the file and says the disk is full (core/disk_full.h). What was written before is intact;
// freeing space and rerunning resumes.
class DiskFullError : public Error {
 public:
  using Error::Error;
};

// A deliverable path that would leave the output root (a folder on the way is, or has become, a
// symlink that points outside it) or replace a file the job may not replace; the message names the
// path. Nothing is written.
class OutputPathError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// A failed collective or point-to-point transfer; unrecoverable for the job.
class CommError : public Error {
 public:
  using Error::Error;
};

// A model whose weights or configuration do not fit the architecture asked for.
class ModelError : public Error {
 public:
  using Error::Error;
};

// A part of the command-line interface that a later part of the project provides.
class NotAvailableError : public Error {
 public:
  using Error::Error;
};

}  // namespace motionfarm

// The safetensors layer of motionfarm::io in one include: element types, header validation,
// single files, sharded checkpoints and writers.
#pragma once

#include "io/safetensors_checkpoint.h"  // IWYU pragma: export
#include "io/safetensors_dtype.h"       // IWYU pragma: export
#include "io/safetensors_file.h"        // IWYU pragma: export
#include "io/safetensors_header.h"      // IWYU pragma: export
#include "io/safetensors_writer.h"      // IWYU pragma: export

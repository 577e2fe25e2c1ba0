// `motionfarm model verify PREFIX --layout ...`: a reference case run with its module split over
// the ranks of a model group, so any golden case checks any layout.
#pragma once

#include <vector>

#include "model/reference_case.h"
#include "parallel/mpi_comm.h"
#include "parallel/parallel_layout.h"

namespace motionfarm::rank {

// Collective over `world`: every rank calls it with the same case and layout. The world is split
// into model groups of `layout`; every group runs the case, and each rank compares the gathered
// output with the reference. (A single forward has no guidance to split: the two cfg halves both
// run it.) Throws ConfigError when the layout does not fit the model or the world, and for modules
// that have no parallel path.
std::vector<model::OutputComparison> verify_reference_case_parallel(
    const model::ReferenceCase& reference_case, const parallel::ParallelLayout& layout,
    const parallel::MpiComm& world);

}  // namespace motionfarm::rank

// How the VAE's modules expose their tensors: each module calls a visitor once per parameter with
// its native Wan name (the reference module's state_dict name), the shape it must have, and the
// slot it lives in. The strict loader, the name/shape listing and the tests all walk this.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace motionfarm::model {

using VaeParameterVisitor = std::function<void(
    const std::string& name, const std::vector<int64_t>& shape, at::Tensor& slot)>;

}  // namespace motionfarm::model

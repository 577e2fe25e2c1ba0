#include "tests/unit/io/latent_store_test_support.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace motionfarm::io::latent_store_test {

LatentStoreIdentity identity() {
  LatentStoreIdentity id;
  id.model_id = "wan2.1-i2v-14b-480p";
  id.model_config_hash = "cfg-5e1d";
  id.seed = 1234567890123ULL;
  id.prompt_hash = "prompt-77aa";
  return id;
}

LatentStoreMeta meta() {
  LatentStoreMeta m;
  m.identity = identity();
  m.extra = {{"asset_id", "shot-042"}, {"fps", "16"}};
  return m;
}

at::Tensor tagged_latent(double tag, at::ScalarType dtype, at::IntArrayRef shape) {
  int64_t numel = 1;
  for (int64_t extent : shape) numel *= extent;
  // Values in [10 tag, 10 tag + 9.77): tensors of different integer tags share no value, so a
  // run of one tensor's bytes is never found inside another's.
  return (at::arange(numel, at::kDouble).remainder(977) * 0.01 + 10.0 * tag)
      .reshape(shape)
      .to(dtype);
}

SamplingState tagged_state(int64_t step, at::IntArrayRef shape) {
  SamplingState state;
  state.sampler = "unipc";
  state.num_steps = 10;
  state.shift = 5.0;
  state.step_index = step;
  state.latent = tagged_latent(static_cast<double>(step), at::kFloat, shape);
  for (int64_t i = 0; i < std::min<int64_t>(step, 2); ++i) {
    state.model_outputs.push_back(tagged_latent(100.0 * step + i, at::kFloat, shape));
  }
  if (step > 0) state.last_sample = tagged_latent(-1.0 * step, at::kFloat, shape);
  return state;
}

bool bitwise_equal(const at::Tensor& a, const at::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  if (a.scalar_type() != b.scalar_type() || !a.sizes().equals(b.sizes())) return false;
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  // An empty tensor may have no storage at all: memcmp must not see its null pointer.
  if (ca.numel() == 0) return true;
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace motionfarm::io::latent_store_test

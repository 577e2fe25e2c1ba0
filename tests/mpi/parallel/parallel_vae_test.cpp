// The VAE decode split into row bands over 2 and 4 real ranks equals the single-rank decode within
// 1e-5·max(1,|ref|): the golden Wan2.1 (fp32) and Wan2.2 (fp64) tiny VAEs on their `z` and `z_in`,
// a latent height the ranks do not divide, chunked streaming, where the frames are delivered, and
// the per-rank cache holding only the band and its halo.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "model/vae_streaming_decoder.h"
#include "parallel/mpi_communicator.h"
#include "parallel/parallel_vae_decoder.h"
#include "tests/unit/model/vae_test_support.h"

namespace motionfarm::parallel {
namespace {

using model::vae_testing::excess_error;
using model::vae_testing::golden_io;
using model::vae_testing::golden_vae;
using model::vae_testing::max_abs_diff;

constexpr double kTolerance = 1e-5;

// The golden Wan2.2 tiny VAE amplifies fp32 rounding about a thousandfold: on one rank, decoding
// `z` in a batch of two instead of alone moves the frames by 1.2e-4. In fp32 a 1e-5 check could not
// tell a band bug from rounding, so its cases run in fp64, where rounding is ~1e-13 and the check
// is sharp. (The Wan2.1 tiny VAE stays at ~5e-6 and is checked in fp32.)
std::unique_ptr<model::WanVae> golden_vae_in_double(const std::string& name) {
  auto vae = std::make_unique<model::WanVae>(
      model::load_vae_config(model::vae_testing::golden_path(name + ".json")),
      model::VaeRuntime{at::kCPU, at::kDouble});
  model::load_wan_vae_weights(*vae, io::SafetensorsCheckpoint::open(
                                        model::vae_testing::golden_path(name + ".safetensors")));
  return vae;
}

at::Tensor random_latents(int64_t z_dim, int64_t frames, int64_t h, int64_t w, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({1, z_dim, frames, h, w}, generator, at::TensorOptions().dtype(at::kFloat));
}

// Every rank's parallel decode (whole frames on every rank) against the single-rank decode.
void expect_matches_single_rank(const model::WanVae& vae, const at::Tensor& latents,
                                Communicator& group) {
  const at::Tensor expected = vae.decode(latents);
  ParallelVaeDecoder decoder(vae, group, {DecodedFramesOn::kEveryRank});
  const at::Tensor frames = decoder.decode(latents);
  ASSERT_EQ(frames.sizes(), expected.sizes());
  EXPECT_LE(excess_error(frames, expected, kTolerance), 0.0)
      << "rank " << group.rank() << " of " << group.size() << ": max |diff| "
      << max_abs_diff(frames, expected);
}

class ParallelVaeGolden : public ::testing::Test {
 protected:
  MpiCommunicator world{MpiComm::world()};
};

TEST_F(ParallelVaeGolden, Wan21MatchesTheSingleRankDecode) {
  const auto vae = golden_vae("wan21_vae_tiny");
  for (const char* input : {"z", "z_in"}) {  // [1, 16, 3, 4, 6]: one latent row per rank at 4
    SCOPED_TRACE(input);
    expect_matches_single_rank(*vae, golden_io("wan21_vae_tiny", input), world);
  }
}

TEST_F(ParallelVaeGolden, Wan22MatchesTheSingleRankDecodeInGroupsOfTwo) {
  // [1, 48, 3, 2, 3]: two latent rows, so groups of two ranks (as model groups would be).
  const MpiComm pair = MpiComm::world().split(world.rank() / 2, world.rank());
  MpiCommunicator group(pair);
  ASSERT_EQ(group.size(), 2);
  const auto vae = golden_vae_in_double("wan22_vae_tiny");
  for (const char* input : {"z", "z_in"}) {
    SCOPED_TRACE(input);
    expect_matches_single_rank(*vae, golden_io("wan22_vae_tiny", input), group);
  }
}

TEST_F(ParallelVaeGolden, Wan22MatchesOverTheWholeGroup) {
  const auto vae = golden_vae_in_double("wan22_vae_tiny");
  // Four latent rows: bands of two rows on 2 ranks, one on 4, with the 2x2 patchify and
  // duplicating shortcuts on every band.
  expect_matches_single_rank(*vae, random_latents(48, 2, 4, 3, 5), world);
}

TEST_F(ParallelVaeGolden, UnevenBandsMatch) {
  const auto vae = golden_vae("wan21_vae_tiny");
  // Five latent rows: bands of 3 + 2 rows on 2 ranks, 2 + 1 + 1 + 1 on 4.
  const at::Tensor latents = random_latents(16, 3, 5, 6, 9);
  expect_matches_single_rank(*vae, latents, world);

  // Each rank's own band is its rows of the whole frame.
  const at::Tensor expected = vae->decode(latents);
  ParallelVaeDecoder decoder(*vae, world, {DecodedFramesOn::kOwnBand});
  const at::Tensor band = decoder.decode(latents);
  const int64_t tall = 5 / world.size() + 1;  // the first 5 % size bands are one row taller
  const int64_t latent_rows = world.rank() < 5 % world.size() ? tall : tall - 1;
  EXPECT_EQ(decoder.band_row_count(), latent_rows * 8);
  ASSERT_EQ(band.size(3), decoder.band_row_count());
  const at::Tensor rows = expected.narrow(3, decoder.band_first_row(), decoder.band_row_count());
  EXPECT_LE(excess_error(band, rows, kTolerance), 0.0) << "max |diff| " << max_abs_diff(band, rows);
}

TEST_F(ParallelVaeGolden, TheRootAloneGetsTheFramesByDefault) {
  const auto vae = golden_vae("wan21_vae_tiny");
  const at::Tensor latents = golden_io("wan21_vae_tiny", "z_in");
  const at::Tensor expected = vae->decode(latents);
  for (const int root : {0, world.size() - 1}) {
    ParallelVaeDecoder decoder(*vae, world, {DecodedFramesOn::kRoot, root});
    const at::Tensor frames = decoder.decode(latents);
    if (world.rank() != root) {
      EXPECT_FALSE(frames.defined());
      continue;
    }
    ASSERT_TRUE(frames.defined());
    ASSERT_EQ(frames.sizes(), expected.sizes());
    EXPECT_LE(excess_error(frames, expected, kTolerance), 0.0);
  }
}

TEST_F(ParallelVaeGolden, ChunkedStreamingEqualsTheWholeParallelDecode) {
  const auto vae = golden_vae("wan21_vae_tiny");
  const at::Tensor latents = random_latents(16, 4, 4, 6, 13);
  ParallelVaeDecoder decoder(*vae, world, {DecodedFramesOn::kOwnBand});
  const at::Tensor whole = decoder.decode(latents);
  for (const std::vector<int64_t>& chunks :
       std::vector<std::vector<int64_t>>{{1, 3}, {2, 2}, {1, 1, 1, 1}, {3, 1}}) {
    decoder.reset();
    std::vector<at::Tensor> pieces;
    int64_t start = 0;
    for (const int64_t length : chunks) {
      pieces.push_back(decoder.decode_next(latents.narrow(2, start, length)));
      start += length;
    }
    EXPECT_EQ(decoder.latent_frames_decoded(), latents.size(2));
    const at::Tensor chunked = at::cat(pieces, 2);
    ASSERT_EQ(chunked.sizes(), whole.sizes());
    EXPECT_TRUE(at::equal(chunked, whole)) << "max |diff| " << max_abs_diff(chunked, whole);
  }
}

TEST_F(ParallelVaeGolden, FewerLatentRowsThanRanksIsAConfigError) {
  const auto vae = golden_vae("wan21_vae_tiny");
  ParallelVaeDecoder decoder(*vae, world);
  const at::Tensor latents = random_latents(16, 1, world.size() - 1, 6, 1);
  try {
    decoder.decode(latents);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("every rank needs at least one row"),
              std::string::npos)
        << error.what();
  }
}

TEST_F(ParallelVaeGolden, CacheHoldsOnlyTheBandAndItsHalo) {
  const auto vae = golden_vae("wan21_vae_tiny");
  const int64_t rows = 16;
  const at::Tensor latents = random_latents(16, 2, rows, 6, 3);
  model::VaeStreamingDecoder single(*vae);
  single.decode_next(latents);
  ParallelVaeDecoder decoder(*vae, world, {DecodedFramesOn::kOwnBand});
  decoder.decode(latents);
  // At every resolution a band caches its rows plus one halo row on each side; the latent
  // resolution has the largest share of halo.
  const double bound = static_cast<double>(rows / world.size() + 2) / static_cast<double>(rows);
  EXPECT_LE(static_cast<double>(decoder.cache_bytes()),
            bound * static_cast<double>(single.cache_bytes()))
      << decoder.cache_bytes() << " of " << single.cache_bytes() << " bytes";
  EXPECT_GT(decoder.cache_bytes(), 0);
}

}  // namespace
}  // namespace motionfarm::parallel

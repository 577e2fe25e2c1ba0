#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/check.h"
#include "model/torch_compat.h"

namespace motionfarm::model {
namespace {

constexpr int64_t kScoreBudgetBytes = int64_t{256} << 20;

void check_shapes(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const c10::optional<at::Tensor>& key_lengths) {
  MF_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, ModelError,
           "attention takes [B, L, heads, head_dim] tensors (q has "
               << q.dim() << " dims, k " << k.dim() << ", v " << v.dim() << ")");
  MF_CHECK(k.sizes() == v.sizes(), ModelError,
           "attention keys " << k.sizes() << " and values " << v.sizes() << " differ in shape");
  MF_CHECK(q.size(0) == k.size(0) && q.size(2) == k.size(2) && q.size(3) == k.size(3), ModelError,
           "attention queries " << q.sizes() << " do not fit keys " << k.sizes());
  if (key_lengths) {
    MF_CHECK(key_lengths->dim() == 1 && key_lengths->size(0) == q.size(0), ModelError,
             "key_lengths must be [B] = [" << q.size(0) << "], got " << key_lengths->sizes());
  }
}

std::vector<int64_t> lengths_on_host(const at::Tensor& key_lengths, int64_t max_length) {
  const at::Tensor host = key_lengths.to(at::kCPU, at::kLong).contiguous();
  std::vector<int64_t> lengths(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
  for (int64_t length : lengths) {
    MF_CHECK(length >= 1 && length <= max_length, ModelError,
             "key length " << length << " is outside [1, " << max_length << "]");
  }
  return lengths;
}

// q [B, heads, Lq, d], k/v [B, heads, Lk, d] (any strides) -> [B, heads, Lq, d].
at::Tensor math_heads_first(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const at::ScalarType softmax_type = q.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const int64_t rows_per_query = q.size(0) * q.size(1) * k.size(2);
  const int64_t chunk =
      std::max<int64_t>(1, kScoreBudgetBytes / (4 * std::max<int64_t>(1, rows_per_query)));
  const at::Tensor k_t = k.transpose(-2, -1);
  std::vector<at::Tensor> pieces;
  for (int64_t start = 0; start < q.size(2); start += chunk) {
    const int64_t length = std::min(chunk, q.size(2) - start);
    const at::Tensor scores = at::matmul(q.narrow(2, start, length), k_t).to(softmax_type) * scale;
    const at::Tensor weights = at::softmax(scores, -1).to(v.scalar_type());
    pieces.push_back(at::matmul(weights, v));
  }
  return pieces.size() == 1 ? pieces.front() : at::cat(pieces, 2);
}

}  // namespace

at::Tensor attention_math(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const c10::optional<at::Tensor>& key_lengths) {
  check_shapes(q, k, v, key_lengths);
  // [B, L, heads, d] -> [B, heads, L, d]
  const at::Tensor qh = q.transpose(1, 2);
  const at::Tensor kh = k.transpose(1, 2);
  const at::Tensor vh = v.transpose(1, 2);
  if (!key_lengths) return math_heads_first(qh, kh, vh).transpose(1, 2);

  const std::vector<int64_t> lengths = lengths_on_host(*key_lengths, k.size(1));
  std::vector<at::Tensor> samples;
  for (int64_t b = 0; b < q.size(0); ++b) {
    samples.push_back(math_heads_first(qh.narrow(0, b, 1),
                                       kh.narrow(0, b, 1).narrow(2, 0, lengths[b]),
                                       vh.narrow(0, b, 1).narrow(2, 0, lengths[b])));
  }
  return at::cat(samples, 0).transpose(1, 2);
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const c10::optional<at::Tensor>& key_lengths) {
  if (!compat::kHasFusedAttention) return attention_math(q, k, v, key_lengths);
  check_shapes(q, k, v, key_lengths);
  c10::optional<at::Tensor> keep_mask;
  if (key_lengths) {
    lengths_on_host(*key_lengths, k.size(1));  // validates
    // [B, 1, 1, Lk]: true for the keys inside each sample's length.
    const at::Tensor positions = at::arange(k.size(1), key_lengths->options().dtype(at::kLong));
    keep_mask = (positions.unsqueeze(0) < key_lengths->to(at::kLong).unsqueeze(1))
                    .to(q.device())
                    .view({q.size(0), 1, 1, k.size(1)});
  }
  return compat::fused_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), keep_mask)
      .transpose(1, 2);
}

}  // namespace motionfarm::model

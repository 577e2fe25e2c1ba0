#include "model/vae_loader.h"

#include <set>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "io/safetensors_checkpoint.h"
#include "model/vae_checkpoint_names.h"

namespace motionfarm::model {
namespace {

std::string shape_text(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace

VaeLoadReport load_wan_vae_weights(WanVae& vae, const std::map<std::string, at::Tensor>& stored,
                                   const std::string& source) {
  std::vector<std::string> names;
  for (const auto& entry : stored) names.push_back(entry.first);
  VaeLoadReport report;
  report.prefix = detect_vae_name_prefix(names);
  report.layout = detect_vae_checkpoint_layout(names);

  std::set<std::string> unused;
  for (const auto& name : names) {
    // In a combined checkpoint only the names under the VAE prefix are the VAE's business.
    if (name.compare(0, report.prefix.size(), report.prefix) == 0) unused.insert(name);
  }
  std::vector<std::string> missing;
  std::vector<std::string> misshaped;
  const VaeRuntime& runtime = vae.runtime();
  // Assign only after every check passed, so a failed load leaves no half-loaded model.
  std::vector<std::pair<at::Tensor*, at::Tensor>> assignments;
  vae.visit_parameters(
      [&](const std::string& native, const std::vector<int64_t>& shape, at::Tensor& slot) {
        const std::string name =
            report.prefix + vae_name_from_native(native, report.layout, vae.config());
        const auto found = stored.find(name);
        if (found == stored.end()) {
          missing.push_back(name);
          return;
        }
        unused.erase(name);
        if (found->second.sizes() != at::IntArrayRef(shape)) {
          misshaped.push_back(name + " is " + shape_text(found->second.sizes()) + ", expected " +
                              shape_text(shape));
          return;
        }
        assignments.emplace_back(&slot, found->second);
      });

  if (!missing.empty() || !misshaped.empty() || !unused.empty()) {
    std::ostringstream message;
    message << "VAE checkpoint '" << source << "' (" << checkpoint_layout_name(report.layout)
            << " names" << (report.prefix.empty() ? "" : ", prefix '" + report.prefix + "'")
            << ") does not fit the configured VAE (z_dim " << vae.config().z_dim << ", dim "
            << vae.config().dim << "):";
    for (const auto& name : missing) message << "\n  missing: " << name;
    for (const auto& name : unused) message << "\n  unexpected: " << name;
    for (const auto& text : misshaped) message << "\n  wrong shape: " << text;
    throw ModelError(message.str());
  }
  for (auto& [slot, tensor] : assignments) {
    *slot = tensor.to(runtime.device, runtime.dtype).contiguous();
  }
  report.tensors = static_cast<int64_t>(assignments.size());
  vae.mark_loaded();
  return report;
}

VaeLoadReport load_wan_vae_weights(WanVae& vae, const io::SafetensorsCheckpoint& checkpoint) {
  std::vector<std::string> names;
  for (const auto& info : checkpoint.tensors()) names.push_back(info.name);
  // A combined checkpoint also holds the DiT and text encoders: map only the VAE's tensors.
  const std::string prefix = detect_vae_name_prefix(names);
  std::map<std::string, at::Tensor> stored;
  for (const auto& name : names) {
    if (name.compare(0, prefix.size(), prefix) == 0) stored.emplace(name, checkpoint.tensor(name));
  }
  return load_wan_vae_weights(vae, stored, checkpoint.path());
}

}  // namespace motionfarm::model

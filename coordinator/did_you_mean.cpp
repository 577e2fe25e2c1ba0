#include "coordinator/did_you_mean.h"

#include <algorithm>

namespace motionfarm::coordinator {

int edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: Levenshtein plus swapping two neighbouring characters, the most
  // common typo ("sede" for "seed"). Three rows of the table: i-2, i-1 and i.
  std::vector<int> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(row);
  }
  return previous[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_distance = 3;  // more than 2 edits is no longer a typo
  for (const std::string& candidate : candidates) {
    const int distance = edit_distance(word, candidate);
    const size_t longer = std::max(word.size(), candidate.size());
    if (distance < best_distance && 2 * static_cast<size_t>(distance) < longer) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string match = closest_match(word, candidates);
  return match.empty() ? "" : " (did you mean '" + match + "'?)";
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

}  // namespace motionfarm::coordinator

// "Did you mean" suggestions for misspelt names (manifest keys, template fields, presets, formats).
#pragma once

#include <string>
#include <vector>

namespace motionfarm::coordinator {

// Edit distance: insertions, deletions, substitutions and swaps of two neighbouring characters
// each cost 1 (optimal string alignment); case-sensitive.
int edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word` by edit distance, when it is close enough to be a plausible
// typo: at most 2 edits, and fewer edits than half the longer word (so "id" does not suggest
// "fps"). Ties go to the earlier candidate. Empty when nothing is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when closest_match finds one, otherwise "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c": for "valid ones are ..." messages.
std::string join_names(const std::vector<std::string>& names);

}  // namespace motionfarm::coordinator

#include "storage/internal/position_waiters.h"

namespace ehcp::storage {

uint64_t PositionWaiters::Add(uint64_t position, Callback fn) {
  const uint64_t token = next_token_++;
  by_position_.emplace(std::make_pair(position, token), std::move(fn));
  position_of_.emplace(token, position);
  return token;
}

bool PositionWaiters::Remove(uint64_t token) {
  auto it = position_of_.find(token);
  if (it == position_of_.end()) return false;
  by_position_.erase(std::make_pair(it->second, token));
  position_of_.erase(it);
  return true;
}

std::vector<PositionWaiters::Callback> PositionWaiters::TakeReached(
    uint64_t head) {
  std::vector<Callback> reached;
  auto it = by_position_.begin();
  while (it != by_position_.end() && it->first.first < head) {
    position_of_.erase(it->first.second);
    reached.push_back(std::move(it->second));
    it = by_position_.erase(it);
  }
  return reached;
}

std::vector<PositionWaiters::Callback> PositionWaiters::TakeAll() {
  std::vector<Callback> all;
  all.reserve(by_position_.size());
  for (auto& [key, fn] : by_position_) all.push_back(std::move(fn));
  by_position_.clear();
  position_of_.clear();
  return all;
}

}  // namespace ehcp::storage

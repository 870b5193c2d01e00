// The model's resources as stored rows (JSON bodies). One codec per resource kind, chosen by
// the id's prefix, so a write persists exactly the ids it touched.
#pragma once

#include <optional>
#include <string>

#include "model/state.h"
#include "store/store.h"

namespace openvpc::store {

// The row of resource ID in P, or nullopt when P no longer holds it (it was deleted).
std::optional<Row> EncodeResource(const model::Partition& p, const std::string& id);
Row EncodePartition(const model::Partition& p);
std::string PartitionKey(const std::string& account, const std::string& region);

// A host's registration (model::Host) as the shared store holds it: the row "host/NAME".
inline constexpr const char* kHostKeyPrefix = "host/";
std::string EncodeHost(const model::Host& h);
model::Host DecodeHost(const std::string& body);

// The state ROWS hold, as a reader of the store sees it (ClientToken answers left out).
model::State DecodeState(const std::vector<Row>& rows);

// Puts a loaded row back into the state (a partition row or a resource row).
void DecodeRow(model::State& state, const Row& row);
// Removes resource ID from P (used to roll back a failed write).
void EraseResource(model::Partition& p, const std::string& id);
// Makes resource ID in TO what it is in FROM; an empty ID stands for the partition's own fields
// (those EncodePartition stores): a copy, or gone when FROM no longer holds it (to
// bring a snapshot of the state up to date with the ids a write touched).
void CopyResource(const model::Partition& from, model::Partition& to, const std::string& id);

}  // namespace openvpc::store

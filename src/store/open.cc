#include <filesystem>
#include <stdexcept>

#include "store/store.h"

namespace openvpc::store {

std::unique_ptr<Store> OpenStore(const std::string& spec, const std::string& data_dir, const OpenOptions& o) {
  if (spec.rfind("etcd://", 0) == 0) return OpenEtcdStore(spec.substr(7));
  if (spec != "sqlite")
    throw std::runtime_error("--store wants 'sqlite' or 'etcd://HOST:PORT[,HOST:PORT…]', got '" + spec + "'");
  const std::string path = (std::filesystem::path(data_dir) / "openvpc.db").string();
  return o.read_only ? OpenSqliteStoreReadOnly(path) : OpenSqliteStore(path, o.full_sync);
}

}  // namespace openvpc::store

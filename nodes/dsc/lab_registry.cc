#include "nodes/dsc/lab_registry.h"

#include <algorithm>
#include <set>

namespace dsc::lab {

std::string LaunchContext::PeersFlag() const {
  std::string flag;
  for (const auto& [id, address] : peers) {
    if (!flag.empty()) flag += ',';
    flag += id + "=" + address;
  }
  return flag;
}

std::string LaunchContext::UrlOf(std::string_view id) const {
  for (const auto& [peer_id, address] : peers) {
    if (peer_id == id) return "http://" + address;
  }
  return "";
}

Status LabRegistry::Add(LabSystem system) {
  if (system.name.empty()) return Status::InvalidArgument("a lab system needs a name");
  if (Find(system.name) != nullptr) {
    return Status::InvalidArgument("lab system '" + system.name + "' is registered twice");
  }
  if (system.nodes.empty()) {
    return Status::InvalidArgument("lab system '" + system.name + "' has no nodes");
  }
  if (!system.command) {
    return Status::InvalidArgument("lab system '" + system.name + "' has no command builder");
  }

  std::set<int> used_ports;
  for (const LabSystem& other : systems_) {
    for (const LabNodeSpec& node : other.nodes) {
      if (node.serves_http()) used_ports.insert(node.port);
    }
  }
  std::set<std::string> ids;
  for (const LabNodeSpec& node : system.nodes) {
    if (node.id.empty() || !ids.insert(node.id).second) {
      return Status::InvalidArgument("lab system '" + system.name +
                                     "' has an empty or duplicate node id '" + node.id + "'");
    }
    if (!node.serves_http()) {
      if (node.port != 0) {
        return Status::InvalidArgument("lab system '" + system.name + "' client node '" +
                                       node.id + "' has a port; clients serve nothing");
      }
      continue;
    }
    if (node.port <= 0 || !used_ports.insert(node.port).second) {
      return Status::InvalidArgument("lab system '" + system.name + "' node '" + node.id +
                                     "' has an invalid or already used port " +
                                     std::to_string(node.port));
    }
  }
  systems_.push_back(std::move(system));
  return Status::Ok();
}

const LabSystem* LabRegistry::Find(std::string_view name) const {
  auto it = std::find_if(systems_.begin(), systems_.end(),
                         [&](const LabSystem& s) { return s.name == name; });
  return it == systems_.end() ? nullptr : &*it;
}

std::string LabRegistry::Names() const {
  std::string names;
  for (const LabSystem& system : systems_) {
    if (!names.empty()) names += ", ";
    names += system.name;
  }
  return names;
}

const LabNodeSpec* FindNode(const LabSystem& system, std::string_view node_id) {
  auto it = std::find_if(system.nodes.begin(), system.nodes.end(),
                         [&](const LabNodeSpec& n) { return n.id == node_id; });
  return it == system.nodes.end() ? nullptr : &*it;
}

}  // namespace dsc::lab

#include "nodes/log/record_json.h"

#include "base/text.h"

#include <cstdint>

namespace dsc::lognode {

nlohmann::json RecordToJson(const wal::Record& record) {
  nlohmann::json json = {{"lsn", record.lsn}, {"type", record.type}};
  if (IsValidUtf8(record.payload)) {
    json["payload"] = record.payload;
  } else {
    json["payload"] = Base64Encode(record.payload);
    json["encoding"] = "base64";
  }
  return json;
}

}  // namespace dsc::lognode

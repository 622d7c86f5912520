#include "nodes/dsc/payload_json.h"

#include <string>

#include "base/text.h"

namespace dsc::cli {

void AddPayload(std::string_view payload, nlohmann::ordered_json* line) {
  // parse() without exceptions: a payload that is not JSON is normal here.
  nlohmann::ordered_json parsed =
      nlohmann::ordered_json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) {
    (*line)["payload"] = std::move(parsed);
  } else if (IsValidUtf8(payload)) {
    (*line)["payload"] = std::string(payload);
  } else {
    (*line)["payload"] = Base64Encode(payload);
    (*line)["encoding"] = "base64";
  }
}

}  // namespace dsc::cli

#include "nodes/common/json_body.h"

#include <utility>

namespace dsc::node {

// No `what`: the reply already says which request, and messages read
// `missing field "worker"`.
JsonBody::JsonBody(std::string_view text)
    : json_(std::make_unique<nlohmann::json>(nlohmann::json::object())),
      fields_(*json_, /*what=*/"", JsonFields::Source::kRequest) {
  if (text.empty()) return;
  // allow_exceptions=false: a parse error yields a "discarded" value.
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    Fail("body is not valid JSON");
    return;
  }
  if (!parsed.is_object()) {
    Fail(std::string("body must be a JSON object, got ") + parsed.type_name());
    return;
  }
  *json_ = std::move(parsed);  // same address: fields_ now reads it
}

}  // namespace dsc::node

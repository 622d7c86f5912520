#include "base/status.h"

#include <gtest/gtest.h>

namespace dsc {
namespace {

TEST(Status, Ok_IsDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, Corruption_CarriesCodeAndMessage) {
  Status s = Status::Corruption("segment 1 offset 17");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_FALSE(s.IsIOError());
  EXPECT_EQ(s.ToString(), "Corruption: segment 1 offset 17");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = Status::NotFound("no such lsn");
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsNotFound());
}

TEST(Status, WithContext_KeepsCodeAndPrefixesMessage) {
  Status s = Status::IOError("disk full").WithContext("replay LSN 7");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "replay LSN 7: disk full");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

Status FailsThenNeverReached(bool* reached) {
  DSC_RETURN_IF_ERROR(Status::IOError("disk"));
  *reached = true;
  return Status::Ok();
}

TEST(Status, ReturnIfError_ReturnsEarly) {
  bool reached = false;
  EXPECT_TRUE(FailsThenNeverReached(&reached).IsIOError());
  EXPECT_FALSE(reached);
}

}  // namespace
}  // namespace dsc

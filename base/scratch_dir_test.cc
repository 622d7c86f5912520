#include "base/scratch_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dsc {
namespace {

TEST(ScratchDir, IsFreshUniqueAndRemovedWithEverythingInIt) {
  std::string kept;
  {
    ScratchDir a("scratch-test");
    ScratchDir b("scratch-test");
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(std::filesystem::is_directory(a.path()));
    EXPECT_TRUE(std::filesystem::is_empty(a.path()));
    EXPECT_NE(a.path().find("/scratch-test-"), std::string::npos);
    std::filesystem::create_directories(a.Sub("data/wal"));
    std::ofstream(a.Sub("data/wal/file")) << "bytes";
    kept = a.path();
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

TEST(MakeScratchDir, UsesTheGivenParentAndReportsFailure) {
  ScratchDir parent("scratch-parent");
  Result<std::string> made = MakeScratchDir("child", ScratchPlace::kTempDir, parent.Sub("deep"));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(std::filesystem::path(*made).parent_path(), parent.Sub("deep"));
  Result<std::string> refused = MakeScratchDir("child", ScratchPlace::kTempDir, "/proc/nope");
  EXPECT_FALSE(refused.ok());
}

}  // namespace
}  // namespace dsc

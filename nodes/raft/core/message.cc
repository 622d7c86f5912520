#include "nodes/raft/core/message.h"

#include <string>

#include "base/overloaded.h"

namespace dsc::raft {
namespace {

std::string Str(uint64_t value) { return std::to_string(value); }

std::string BodyToString(const MessageBody& body) {
  return std::visit(
      Overloaded{
          [](const VoteRequest& m) {
            return std::string(m.pre_vote ? "PreVote" : "RequestVote") +
                   " last=" + Str(m.last_log_index) + "/" + Str(m.last_log_term);
          },
          [](const VoteResponse& m) {
            return std::string(m.pre_vote ? "PreVoteResponse" : "VoteResponse") +
                   (m.granted ? " granted" : " rejected");
          },
          [](const AppendEntries& m) {
            std::string text = "AppendEntries prev=" + Str(m.prev_log_index) + "/" +
                               Str(m.prev_log_term) + " entries=[";
            for (size_t i = 0; i < m.entries.size(); ++i) {
              if (i > 0) text += " ";
              text += Str(m.entries[i].index) + "/" + Str(m.entries[i].term);
            }
            return text + "] commit=" + Str(m.leader_commit) + " round=" + Str(m.round);
          },
          [](const AppendEntriesResponse& m) {
            if (m.success) {
              return "AppendEntriesResponse ok match=" + Str(m.match_index) +
                     " round=" + Str(m.round);
            }
            return "AppendEntriesResponse reject at=" + Str(m.rejected_index) +
                   " hint=" + Str(m.conflict_index) + "/" + Str(m.conflict_term) +
                   " round=" + Str(m.round);
          },
          [](const InstallSnapshot& m) {
            return "InstallSnapshot " + Str(m.snapshot.index) + "/" + Str(m.snapshot.term) +
                   " round=" + Str(m.round);
          },
          [](const InstallSnapshotResponse& m) {
            return "InstallSnapshotResponse match=" + Str(m.match_index) + " round=" + Str(m.round);
          },
      },
      body);
}

}  // namespace

std::string MessageToString(const Message& message) {
  return message.from + "->" + message.to + " t" + Str(message.term) + " " +
         BodyToString(message.body);
}

}  // namespace dsc::raft

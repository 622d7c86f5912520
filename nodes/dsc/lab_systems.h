// The systems `dsc lab` knows: one description per system (see
// lab_registry.h for what a description holds).
#pragma once

#include "nodes/dsc/lab_registry.h"

namespace dsc::lab {

// One log node, log1 on 127.0.0.1:7500: `dsc log serve`.
LabSystem LogLabSystem();

// The queue: server queue1 on 127.0.0.1:7000 (`dsc queue serve`), then
// client nodes worker1..worker3 (`dsc queue worker --server` queue1's URL),
// each taking kQueueLabWorkMs per task on leases of kQueueLabLeaseMs,
// long-polling kQueueLabWaitMs per lease request (a worker finishes its
// poll before it stops, so this bounds how long `dsc lab down` waits).
inline constexpr int kQueueLabWorkMs = 500;
inline constexpr int kQueueLabLeaseMs = 10'000;
inline constexpr int kQueueLabWaitMs = 1'000;
LabSystem QueueLabSystem();
LabSystem RaftLabSystem();

// Every system above, in the order `dsc lab up` starts them.
LabRegistry BuiltInLabSystems();

}  // namespace dsc::lab

// The systems `dsc lab` knows: one description per system (see
// lab_registry.h for what a description holds).
#pragma once

#include "nodes/dsc/lab_registry.h"

namespace dsc::lab {

// One log node, log1 on 127.0.0.1:7500: `dsc log serve`.
LabSystem LogLabSystem();

// Every system above, in the order `dsc lab up` starts them.
LabRegistry BuiltInLabSystems();

}  // namespace dsc::lab

# Warnings for our own targets only (not for imported ones), via an
# interface library every dsc target links.
# No -Wnull-dereference: with GCC 12 at -O2 it fires inside Boost.Asio's
# scheduler and shared_ptr code inlined into every coroutine (false
# positives in headers we do not own, reported at our call sites).
add_library(dsc_flags INTERFACE)
target_compile_options(dsc_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(DSC_WERROR)
  target_compile_options(dsc_flags INTERFACE -Werror)
endif()
if(DSC_SANITIZE)
  # Applied globally so every object, test and helper binary is instrumented.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's -Wmaybe-uninitialized reports false positives inside
    # <regex> and <functional> once the sanitizers instrument them. The
    # regular build keeps the warning (and -Werror); it checks the same code.
    target_compile_options(dsc_flags INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

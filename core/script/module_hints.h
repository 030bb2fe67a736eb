// Which module provides a well-known OpenSIPS/Kamailio script function, so that calling
// save() without the registrar module loaded says "module registrar is not loaded" instead of
// only "unknown function". A static table; it does not load anything.
#pragma once

#include <string_view>

namespace sipline::script {

// The module that provides `function`, or nullptr when the name is not in the table.
const char* moduleOfFunction(std::string_view function);

}  // namespace sipline::script

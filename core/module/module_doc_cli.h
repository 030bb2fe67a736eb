// `sipline --module-doc [DIR]`: loads every module of a directory, calls only describe() (no
// init, no shm, no sockets) and prints sipline-modules(7) (core/module/module_doc.h) on
// stdout. Master process, before anything else runs.
#pragma once

#include <string>

// The installed modules' directory, used when neither DIR nor a settings file is given. The
// build may set it (-DSIPLINE_MODULE_DIR=...) to match its install prefix.
#ifndef SIPLINE_MODULE_DIR
#define SIPLINE_MODULE_DIR "/usr/lib/sipline/modules"
#endif

namespace sipline {

struct ModuleDocOptions {
  std::string dir;     // the modules' directory; empty: the mpath of `config`
  std::string config;  // a settings file (-f); empty too: SIPLINE_MODULE_DIR
};

// Loads DIR/*.so in name order. Undocumented items (undocumentedItems()) are warned about on
// stderr. Exit status: 0 when the page was printed, 1 when the settings or a module do not
// load (the message names the file) or DIR has no module, 2 when DIR cannot be read.
int printModuleDoc(const ModuleDocOptions& options);

}  // namespace sipline

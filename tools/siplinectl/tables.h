// Aligned text tables for the management commands' output: a header row and rows of cells,
// each column as wide as its widest cell, two spaces between columns, numbers right-aligned
// where the caller says so. No trailing blanks. Nothing here knows about MI results.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sipline::ctl {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void alignRight(std::size_t column);
  // Missing cells print as empty, extra cells are ignored.
  void addRow(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sipline::ctl

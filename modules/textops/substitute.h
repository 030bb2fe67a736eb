// Regex substitutions on a whole message for textops' subst(), replace() and replace_all(),
// apart from the module glue so tests call them directly.
//
// The headers (from the first header to the empty line; the first line is never touched) and
// the body are searched separately, so a match never spans both. Header matches are searched
// in the message as received and become edits at their place; a match in header text that an
// earlier edit changed or removed (another substitution, remove_hf) conflicts, and the
// substitution is then refused as a whole (-1, the message as it was). The body is searched as
// it currently stands (after earlier substitutions) and is
// replaced as a whole, Content-Length following; a module that edited parts of the body
// before (SDP rewriting) conflicts with that.
#pragma once

#include <string_view>

#include "core/base/regex.h"

namespace sipline {

class SipMessage;

// subst(): returns how many replacements were made (0: none matched), or -1, with nothing
// changed, when a header match lies in text an earlier edit changed or removed (remove_hf,
// another substitution) or the body could not be rewritten (the message's edits conflict
// already, or its Content-Length or Content-Type is repeated).
int substituteInMessage(SipMessage& msg, const Substitution& subst,
                        const Substitution::TextExpander* expand);

// replace() (the first match only) and replace_all(): each match of re becomes text, as is
// (no back-references). re must be compiled with Options::capture. Results as above.
int replaceInMessage(SipMessage& msg, const Regex& re, std::string_view text, bool all);

// subst_body(), replace_body() and replace_body_all(): the same on the body alone (as it
// stands after earlier substitutions); the headers are not searched.
int substituteInBody(SipMessage& msg, const Substitution& subst,
                     const Substitution::TextExpander* expand);
int replaceInBody(SipMessage& msg, const Regex& re, std::string_view text, bool all);

// search_append(): text is inserted after the first (non-empty) match of re, searched in the
// headers and then in the body as above; the match itself stays. Results as above.
int appendAfterMatch(SipMessage& msg, const Regex& re, std::string_view text);

}  // namespace sipline

// Package jsoncmp compares two JSON documents semantically, as a FHIR round
// trip must preserve them: the same object members (in any order), the same
// values, arrays in the same order, and numbers compared by their lexical form
// ("1.50" differs from "1.5", "1e2" from "100"). Strings are compared after
// unescaping, so "\u00e9" equals "é" and "\u003c" equals "<"; whitespace and
// member order do not matter. Invalid UTF-8 in a string reads as U+FFFD, as
// encoding/json and the FHIR encoder treat it. An object with a duplicate member name is
// rejected, since its meaning is ambiguous.
//
// [Diff] lists every difference with a readable path such as
// name[0].given[1]; [Format] turns the first few into a message for a test
// failure.
package jsoncmp

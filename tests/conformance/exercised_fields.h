#pragma once
// Which CRI config fields each conformance test exercises, so the descriptor
// walk (descriptor_walk_test.cc) can tell covered fields from forgotten ones.
//
// A test declares its fields next to its body:
//   SILO_EXERCISES(MountConformance, HostToContainerSeesLaterHostMounts,
//                  "Mount.propagation");
// and the conformance fixture records every field that carries a non-default
// value in the RunPodSandbox and CreateContainer requests the test sends.
// At the end of the test every declared field must have been sent, so a
// declaration cannot be satisfied by naming a field the test never sets.
// Names are message.field without the "runtime.v1." package.
// Declarations are made by static initialisers; read them only from tests.

#include <initializer_list>
#include <map>
#include <set>
#include <string>

#include "google/protobuf/message.h"

namespace silo::testing::conformance {

// "Suite.Test" -> the fields it declares.
using Declarations = std::map<std::string, std::set<std::string>>;

int DeclareExercised(const char* suite, const char* test, std::initializer_list<const char*> fields);
const Declarations& AllDeclarations();

// Adds "Message.field" for every field of `message` (recursively, into
// message-typed fields and repeated messages, not into maps) that is set to
// a non-default value.
void CollectSetFields(const google::protobuf::Message& message, std::set<std::string>* out);

}  // namespace silo::testing::conformance

#define SILO_EXERCISES(suite, test, ...)                                              \
  [[maybe_unused]] static const int silo_exercises_##suite##_##test##_ = \
      ::silo::testing::conformance::DeclareExercised(#suite, #test, {__VA_ARGS__})

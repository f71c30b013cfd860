#pragma once
// The generated CRI gRPC services (RuntimeService, ImageService: stubs and
// service bases) on top of the messages. Only code that serves or dials the
// CRI needs this; everything else includes cri/api/cri.h, which is far cheaper
// to compile.

#include "cri/api/cri.h"  // first: it shields the messages from <signal.h>'s macros
#include "cri/api/api.grpc.pb.h"

// ONNX importer: parse, check, convert, attribute checks, shape inference, planning.
#include <onnx/onnx_pb.h>

#include "fuzz.h"
#include "onnx/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cnnfi::fuzz::expect_clean([&] {
    const auto model = cnnfi::onnx_io::parse_model(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    cnnfi::onnx_io::load_model_proto(model, "fuzz.onnx");
  });
  return 0;
}

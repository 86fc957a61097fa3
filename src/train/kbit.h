// Export of k-bit networks (seed 002): the graph trains latent float weights through quantisers
// (Sign, or Round(Clip(w, -1, 1)), train/arch/cnv.cpp); the exported model holds the quantised
// values themselves as the Conv/Gemm weight initialisers, so that the weight memory cnnfi (or any
// runtime) sees is the k-bit one.
#pragma once
#include <onnx/onnx_pb.h>

namespace cnnfi::train {

/// Folds every chain of Sign / Clip / Round nodes that starts at a float initialiser read by
/// nothing else into that initialiser (keeping its name), as long as the other inputs are
/// initialisers or Casts of initialisers. Returns the number of nodes folded.
int fold_weight_quantizers(onnx::ModelProto& model);

}  // namespace cnnfi::train

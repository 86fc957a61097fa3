#!/usr/bin/python3
"""A low-bit CNN written the way Brevitas exports to QONNX (nobody on this project trained it: its
weights are random), checked against an independent implementation of the QONNX specification.

The graph has what Brevitas' CNV export has: Mul/Sub input scaling, an 8-bit input Quant,
BipolarQuant on weights and activations, per-channel 2-bit Quant weights, BatchNormalization,
MaxPool, an AveragePool + Mul + Trunc (Brevitas' QuantAvgPool2d), Transpose + MatMul for the
classifier, nodes in domain onnx.brevitas with no opset_import for it, at default opsets 9, 11 and
13 (those Brevitas writes).

The reference here is numpy for the QONNX quantisers (written from the specification's formulas)
and torch.nn.functional for Conv, BatchNorm and pooling; the labels it writes are its own
predictions. `cnnfi eval` must agree on every image whose top two reference logits are not tied.

Usage: qonnx_brevitas.py CNNFI_BINARY WORKDIR. Exit 77 when numpy, onnx or torch is missing.
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    import torch
    import torch.nn.functional as F
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    print("skipped: %s" % e)
    sys.exit(77)

DOMAIN = "onnx.brevitas"
f32 = np.float32


def int_range(bits, signed, narrow):
    if signed:
        return -(2 ** (bits - 1)) + (1 if narrow else 0), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1 - (1 if narrow else 0)


def ref_quant(x, scale, zp, bits, signed=1, narrow=0):
    y = (x / scale + zp).astype(f32)
    if bits == 1 and signed:
        y = np.where(y >= 0, f32(1), f32(-1))
    else:
        lo, hi = int_range(bits, signed, narrow)
        y = np.round(np.clip(y, lo, hi))
    return ((y - zp) * scale).astype(f32)


def ref_bipolar(x, scale):
    return (np.where(x >= 0, f32(1), f32(-1)) * scale).astype(f32)


def ref_trunc_v1(x, scale, zp, in_bits, out_bits):
    y = np.round(x / scale + zp) / f32(2.0 ** (in_bits - out_bits))
    return ((np.floor(y) - zp) * scale).astype(f32)


def bn(x, p):
    g, b, m, v = (torch.from_numpy(a) for a in p)
    return F.batch_norm(torch.from_numpy(x), m, v, g, b, False, 0.0, 1e-5).numpy()


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(24)
    n, c1, c2, classes = 300, 16, 24, 10
    x = rng.uniform(0, 1, (n, 3, 12, 12)).astype(f32)
    w1 = rng.standard_normal((c1, 3, 3, 3)).astype(f32)
    w2 = rng.standard_normal((c2, c1, 3, 3)).astype(f32)
    w2_scale = rng.uniform(0.2, 0.6, (c2, 1, 1, 1)).astype(f32)
    k = c2 * 2 * 2
    w3 = rng.standard_normal((classes, k)).astype(f32)
    out_scale = rng.uniform(0.5, 1.5, (1, classes)).astype(f32)

    def bn_params(c):
        return [rng.uniform(0.5, 1.5, c).astype(f32), rng.normal(0, 0.5, c).astype(f32),
                rng.normal(0, 1, c).astype(f32), rng.uniform(0.5, 2, c).astype(f32)]
    bn1, bn2 = bn_params(c1), bn_params(c2)
    in_scale, a2_scale = f32(2.0 ** -7), f32(0.5)

    # --- the reference forward pass
    def reference(xb):
        h = ref_quant(xb * f32(2) - f32(1), in_scale, f32(0), 8, 1, 0)
        h = F.conv2d(torch.from_numpy(h), torch.from_numpy(ref_bipolar(w1, f32(1)))).numpy()
        h = ref_bipolar(bn(h, bn1), f32(1))
        h = F.conv2d(torch.from_numpy(h), torch.from_numpy(ref_quant(w2, w2_scale, f32(0), 2, 1, 1))).numpy()
        h = ref_quant(bn(h, bn2), a2_scale, f32(0), 2, 0, 0)
        h = F.max_pool2d(torch.from_numpy(h), 2).numpy()                                  # 8x8 -> 4x4
        h = F.avg_pool2d(torch.from_numpy(h), 2).numpy() * f32(4)                         # 4x4 -> 2x2, sums
        h = ref_trunc_v1(h, a2_scale, f32(0), 4, 2)
        h = h.reshape(h.shape[0], -1)
        return (h @ ref_bipolar(w3, f32(1)).T) * out_scale

    logits = reference(x)
    top2 = np.sort(logits, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 1e-4 * np.abs(logits).max(axis=1)
    y = logits.argmax(1).astype(np.int64)

    # --- the QONNX graph, as Brevitas writes it
    inits, nodes = [], []

    def init(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def node(op, ins, out, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out + "_node", domain=domain, **attrs))
        return out

    zero, one = init("zero", f32(0)), init("one", f32(1))
    h = node("Mul", ["x", init("two", f32(2))], "scaled")
    h = node("Sub", [h, one], "centred")
    h = node("Quant", [h, init("in_scale", in_scale), zero, init("b8", f32(8))], "in_q", DOMAIN,
             signed=1, narrow=0, rounding_mode="ROUND")
    h = node("Conv", [h, node("BipolarQuant", [init("w1", w1), one], "w1_q", DOMAIN)], "conv1",
             kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[1, 1])
    h = node("BatchNormalization", [h] + [init("bn1_%d" % i, a) for i, a in enumerate(bn1)], "bn1")
    h = node("BipolarQuant", [h, one], "act1", DOMAIN)
    w2q = node("Quant", [init("w2", w2), init("w2_scale", w2_scale), zero, init("b2", f32(2))], "w2_q", DOMAIN,
               signed=1, narrow=1, rounding_mode="ROUND")
    h = node("Conv", [h, w2q], "conv2", kernel_shape=[3, 3])
    h = node("BatchNormalization", [h] + [init("bn2_%d" % i, a) for i, a in enumerate(bn2)], "bn2")
    h = node("Quant", [h, init("a2_scale", a2_scale), zero, "b2"], "act2", DOMAIN,
             signed=0, narrow=0, rounding_mode="ROUND")
    h = node("MaxPool", [h], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    h = node("AveragePool", [h], "avg", kernel_shape=[2, 2], strides=[2, 2])
    h = node("Mul", [h, init("four", f32(4))], "avg_sum")
    h = node("Trunc", [h, "a2_scale", zero, init("b4", f32(4)), "b2"], "trunc", DOMAIN, rounding_mode="FLOOR")
    h = node("Reshape", [h, init("flat", np.array([-1, k], np.int64))], "flat_out")
    w3q = node("BipolarQuant", [init("w3", w3), one], "w3_q", DOMAIN)
    w3t = node("Transpose", [w3q], "w3_t", perm=[1, 0])
    h = node("MatMul", [h, w3t], "fc")
    node("Mul", [h, init("out_scale", out_scale)], "logits")
    graph = helper.make_graph(nodes, "cnv_like",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 12, 12])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])], inits)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "y.npy"), y)
    failed = False
    for opset in (9, 11, 13):
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="brevitas-like")
        model.ir_version = 6
        path = os.path.join(work, "cnv_like-%d.onnx" % opset)
        onnx.save(model, path)
        r = subprocess.run([binary, "eval", "--model", path, "--data",
                            "npy:%s,%s" % (os.path.join(work, "x.npy"), os.path.join(work, "y.npy")),
                            "--mean", "0", "--std", "1", "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL opset %d: cnnfi eval: %s" % (opset, (r.stderr or r.stdout).strip()))
            failed = True
            continue
        agree = json.loads(r.stdout)["top1_correct"]
        n_clear = int(clear.sum())
        ok = n_clear <= agree <= n and n_clear > 0.9 * n
        print("%s opset %d: cnnfi agrees with the reference on %d of %d images (%d not near a tie)" %
              ("ok  " if ok else "FAIL", opset, agree, n, n_clear))
        failed = failed or not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

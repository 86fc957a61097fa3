#!/usr/bin/python3
"""An INT8 QDQ model cnnfi did not write, checked against ONNX Runtime and run with seed 003's modules.

A small residual CNN is built in PyTorch (random weights), fake-quantised the way PyTorch's
quantisation-aware training exports it: symmetric int8 activations (per tensor) and weights (per
output channel) through torch.fake_quantize_*, scales from a calibration pass, exported with
torch.onnx.export (opset 13) as QuantizeLinear/DequantizeLinear. Then:
  1. ONNX Runtime (onnxruntime-node, tests/ort/run.js) runs the file; its predictions are the labels.
  2. cnnfi's integer execution of the file (kind quantized, N = 0) must predict the same class on
     every image whose top two ONNX Runtime logits are not tied.
  3. kind quantized with faults in each module alone (i8, w8, b32, o32, o8) runs on it, from the
     model's own integers (every module has vulnerable bits; the faults change some decisions).
Both with symmetric int8 activations and with affine uint8 ones (zero points), as PyTorch's default
observers and ONNX Runtime's quantiser write them.

Usage: qdq_torch_ort.py CNNFI_BINARY WORKDIR. Exit 77 when torch, numpy or node's onnxruntime-node
(npm ci --prefix tests/ort) is missing.
"""
import json
import os
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORT = os.path.join(HERE, "..", "ort")
try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("skipped: %s" % e)
    sys.exit(77)
if not os.path.isdir(os.path.join(ORT, "node_modules", "onnxruntime-node")):
    print("skipped: onnxruntime-node is not installed (npm ci --prefix tests/ort)")
    sys.exit(77)


def fq(x, q):
    """q = (scale, zero point, lo, hi): symmetric int8 (0, -128, 127) or asymmetric uint8 (zp, 0, 255)."""
    s, zp, lo, hi = q
    return torch.fake_quantize_per_tensor_affine(x, float(s), int(zp), lo, hi)


def observe(t, unsigned):
    """PyTorch's min-max observer: symmetric int8, or affine uint8 over [min(t, 0), max(t, 0)]."""
    if not unsigned:
        return (max(float(t.abs().max()), 1e-8) / 127, 0, -128, 127)
    lo, hi = min(float(t.min()), 0.0), max(float(t.max()), 0.0)
    s = max(hi - lo, 1e-8) / 255
    return (s, int(min(255, max(0, round(-lo / s)))), 0, 255)


def fq_w(w, s):
    return torch.fake_quantize_per_channel_affine(w, s, torch.zeros(s.shape[0], dtype=torch.int32), 0, -128, 127)


class Net(torch.nn.Module):
    def __init__(self, unsigned):
        super().__init__()
        self.unsigned = unsigned
        g = torch.Generator().manual_seed(24)
        self.w1 = torch.nn.Parameter(torch.randn(8, 1, 3, 3, generator=g) * 0.4)
        self.w2 = torch.nn.Parameter(torch.randn(8, 8, 3, 3, generator=g) * 0.15)
        self.w3 = torch.nn.Parameter(torch.randn(10, 8, generator=g) * 0.3)
        self.s = None  # activation scales, set by calibrate()

    def float_points(self, x):
        pts = [x]
        h = F.relu(F.conv2d(x, self.w1, padding=1)); pts.append(h)
        c = F.relu(F.conv2d(h, self.w2, padding=1)); pts.append(c)
        r = c + h; pts.append(r)
        p = F.adaptive_avg_pool2d(r, 1).flatten(1); pts.append(p)
        y = F.linear(p, self.w3); pts.append(y)
        return pts

    def calibrate(self, x):
        with torch.no_grad():
            self.s = [observe(t, self.unsigned) for t in self.float_points(x)]
            self.sw = [w.detach().abs().flatten(1).amax(1).clamp_min(1e-8) / 127 for w in (self.w1, self.w2, self.w3)]

    def forward(self, x):
        s, sw = self.s, self.sw
        x = fq(x, s[0])
        h = fq(F.relu(F.conv2d(x, fq_w(self.w1, sw[0]), padding=1)), s[1])
        c = fq(F.relu(F.conv2d(h, fq_w(self.w2, sw[1]), padding=1)), s[2])  # each layer's output requantised,
        r = fq(c + h, s[3])                                                 # then the residual sum (QuantizedAdd)
        p = fq(F.adaptive_avg_pool2d(r, 1).flatten(1), s[4])
        return fq(F.linear(p, fq_w(self.w3, sw[2])), s[5])


def add_int32_biases(path):
    """Gives each Conv an int32 bias behind DequantizeLinear at scale s_in * s_w, as ONNX Runtime's
    quantiser writes biases (PyTorch's export leaves biases float)."""
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(path)
    g = m.graph
    const = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"}
    made = {o: n for n in g.node for o in n.output}
    rng = np.random.default_rng(7)
    for n in list(g.node):
        if n.op_type != "Conv" or len(n.input) > 2:
            continue
        s_in = const[made[n.input[0]].input[1]].astype(np.float32)  # the input DequantizeLinear's scale
        s_w = const[made[n.input[1]].input[1]].astype(np.float32)
        name = n.name or n.output[0]
        b32 = rng.integers(-300, 300, s_w.shape[0]).astype(np.int32)
        g.initializer.extend([numpy_helper.from_array(b32, name + ".b32"),
                              numpy_helper.from_array((s_in * s_w).astype(np.float32), name + ".b_scale")])
        dq = helper.make_node("DequantizeLinear", [name + ".b32", name + ".b_scale"], [name + ".bias"], axis=0,
                              name=name + ".bias_dq")
        g.node.insert(list(g.node).index(n), dq)
        n.input.append(name + ".bias")
    onnx.save(m, path)


def main():
    binary, root = sys.argv[1], sys.argv[2]
    failures = []
    for unsigned in (False, True):
        failures += check(binary, os.path.join(root, "uint8" if unsigned else "int8"), unsigned)
    if failures:
        print("\n".join("FAIL " + f for f in failures))
        sys.exit(1)


def check(binary, work, unsigned):
    """Symmetric int8 activations, or (unsigned) affine uint8 ones as ONNX Runtime's quantiser
    and PyTorch's default observers write them; the input spans [-1, 1] so its zero point is ~128."""
    print("-- %s activations" % ("uint8 (affine)" if unsigned else "int8 (symmetric)"))
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    n = 400
    raw, raw_calib = torch.rand(n, 1, 12, 12), torch.rand(64, 1, 12, 12)  # images in [0, 1]
    x, calib = raw * 2 - 1, raw_calib * 2 - 1                             # the model's input: mean 0.5, std 0.5
    net = Net(unsigned).eval()
    net.calibrate(calib)
    path = os.path.join(work, "qdq.onnx")
    torch.onnx.export(net, x[:1], path, opset_version=13, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    add_int32_biases(path)
    # 1. ONNX Runtime.
    xb, yb = os.path.join(work, "x.f32"), os.path.join(work, "y.f32")
    x.numpy().astype("<f4").tofile(xb)
    r = subprocess.run(["node", os.path.join(ORT, "run.js"), path, xb, "%d,1,12,12" % n, yb], capture_output=True, text=True)
    if r.returncode != 0:
        return ["ONNX Runtime: %s" % r.stderr]
    logits = np.fromfile(yb, dtype="<f4").reshape(n, 10)
    top2 = np.sort(logits, axis=1)[:, -2:]
    clear = top2[:, 1] > top2[:, 0]
    labels = logits.argmax(1).astype(np.int64)
    np.save(os.path.join(work, "x.npy"), raw.numpy())
    np.save(os.path.join(work, "y.npy"), labels)
    np.save(os.path.join(work, "calib.npy"), raw_calib.numpy())
    np.save(os.path.join(work, "calib_y.npy"), np.zeros(64, np.int64))
    data = "npy:%s,%s" % (os.path.join(work, "x.npy"), os.path.join(work, "y.npy"))
    cal = "npy:%s,%s" % (os.path.join(work, "calib.npy"), os.path.join(work, "calib_y.npy"))
    failures = []
    # 2. cnnfi's integer execution, fault-free.
    def run(name, extra):
        cfg = os.path.join(work, name + ".yaml")
        with open(cfg, "w") as f:
            f.write("kind: quantized\nmodel: %s\ndata: %s\ncalibration: %s\npreprocessing: {mean: 0.5, std: 0.5}\nseed: 1\n%s"
                    % (path, data, cal, extra))
        db = os.path.join(work, name + ".db")
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.remove(db + ext)
        r = subprocess.run([binary, "run", cfg, "-o", db], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("%s: %s" % (name, (r.stderr or r.stdout).strip().splitlines()[-1]))
            return None
        return db
    db = run("clean", "repetitions: 1\nschedule: [0]\n")
    if db:
        con = sqlite3.connect(db)
        top1 = dict(con.execute("select image, top1 from golden"))
        agree = sum(1 for i in range(n) if clear[i] and top1[i] == labels[i])
        ok = agree == int(clear.sum()) and clear.sum() > 0.7 * n
        print("%s cnnfi's integer execution predicts as ONNX Runtime on %d of %d images (%d not tied)"
              % ("ok  " if ok else "FAIL", agree, n, int(clear.sum())))
        if not ok:
            failures.append("fault-free predictions differ from ONNX Runtime's")
    # 3. Faults in each module alone.
    db = run("modules", "repetitions: 1\nschedule: [0, 20]\nmodules: [i8, w8, b32, o32, o8]\n")
    if db:
        con = sqlite3.connect(db)
        rows = con.execute("select t.point, r.critical, r.images from results r join trials t using (trial) order by r.trial").fetchall()
        hit = {p.split()[0]: c for p, c, _ in rows if p.endswith("faults=20")}
        print("critical (image, fault set) pairs at N = 20 per module: %s" % json.dumps(hit))
        meta = dict(con.execute("select key, value from meta"))
        layers = json.loads(meta["quantized"])["layers"]
        print("layers: %s" % ", ".join("%s (s_in %.4g, s_out %.4g)" % (l["name"], l["s_in"], l["s_out"]) for l in layers))
        bits = {x["name"]: x["bits"] for x in json.loads(meta["quantized"])["sets"]}
        print("vulnerable bits per module: %s" % json.dumps(bits))
        if len(hit) != 5 or sum(hit.values()) == 0 or len(layers) != 3 or min(bits.values()) <= 0:
            failures.append("module campaign: %s, %d layers, bits %s" % (hit, len(layers), bits))
    return failures


if __name__ == "__main__":
    main()

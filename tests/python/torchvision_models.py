#!/usr/bin/python3
"""Exports torchvision classification CNNs (random weights) with torch.onnx.export and checks
that `cnnfi eval` gives PyTorch's own top-1 on them.

Usage: torchvision_models.py CNNFI_BINARY WORKDIR [--opsets 13,17] [--models a,b] [--size 64]
Each model gets 6 images of SIZE x SIZE (uniform [0, 1]), labelled with PyTorch's prediction
on the normalised images; cnnfi evaluates them with --mean/--std flags, so its top-1 must be 1.0
(an image whose top two logits lie within 1e-4 of its largest logit of each other may go either
way: float summation order can swap them). Exit 77 when torch or torchvision is missing (ctest: skipped).
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:  # pragma: no cover
    print("skipped: %s" % e)
    sys.exit(77)

# One model per family and every architecture variant whose ops differ (torchvision 0.14's
# classification CNNs; ViT and Swin are transformers, not CNNs).
DEFAULT = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
    "inception_v3", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "regnet_x_400mf", "regnet_y_400mf", "resnet18", "resnext50_32x4d", "shufflenet_v2_x0_5",
    "squeezenet1_0", "squeezenet1_1", "vgg11_bn", "wide_resnet50_2",
]
MEAN, STD = 0.5, 0.25
# torch.onnx.export (1.13) can export adaptive average pooling only where the output size divides
# the input size: AlexNet (6 x 6) and VGG (7 x 7) need their native 224 x 224.
NATIVE = {"alexnet": 224, "vgg11": 224, "vgg11_bn": 224, "vgg13": 224, "vgg16": 224, "vgg19": 224,
          "vgg13_bn": 224, "vgg16_bn": 224, "vgg19_bn": 224, "inception_v3": 128}


def main():
    binary, work = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    opsets = [13, 17]
    models = DEFAULT
    size = 64
    while args:
        k, v = args[0], args[1]
        args = args[2:]
        if k == "--opsets":
            opsets = [int(x) for x in v.split(",")]
        elif k == "--models":
            models = v.split(",")
        elif k == "--size":
            size = int(v)
    os.makedirs(work, exist_ok=True)
    failures = []
    for name in models:
        torch.manual_seed(0)
        x = torch.rand(6, 3, NATIVE.get(name, size), NATIVE.get(name, size))
        np.save(os.path.join(work, "x.npy"), x.numpy().astype(np.float32))
        kw = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
        torch.manual_seed(1)
        m = torchvision.models.get_model(name, weights=None, **kw).eval()
        with torch.no_grad():
            logits = m((x - MEAN) / STD)
        top2 = logits.topk(2, dim=1).values
        scale = logits.abs().amax(1)
        clear = (top2[:, 0] - top2[:, 1]) > 1e-4 * scale
        y = logits.argmax(1).numpy().astype(np.int64)
        keep = clear.numpy()
        np.save(os.path.join(work, "y.npy"), y)
        for opset in opsets:
            path = os.path.join(work, "%s-%d.onnx" % (name, opset))
            torch.onnx.export(m, (x[:1] - MEAN) / STD, path, opset_version=opset, input_names=["x"],
                              output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
            r = subprocess.run([binary, "eval", "--model", path, "--data",
                                "npy:%s,%s" % (os.path.join(work, "x.npy"), os.path.join(work, "y.npy")),
                                "--mean", str(MEAN), "--std", str(STD), "--json"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                failures.append("%s opset %d: %s" % (name, opset, (r.stderr or r.stdout).strip().splitlines()[-1]))
                print("FAIL %-20s opset %d: %s" % (name, opset, failures[-1]), flush=True)
                continue
            j = json.loads(r.stdout)
            agree = j["top1_correct"]
            n = int(keep.sum())
            ok = n <= agree <= len(y)  # every clear image agrees; a near-tie may go either way
            print("%s %-20s opset %d: cnnfi agrees with PyTorch on %d of %d images" %
                  ("ok  " if ok else "FAIL", name, opset, agree, n), flush=True)
            if not ok:
                failures.append("%s opset %d: %d of %d" % (name, opset, agree, n))
            os.remove(path)
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()

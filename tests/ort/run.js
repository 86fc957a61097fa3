// Runs an ONNX model with ONNX Runtime (CPU) for cnnfi's tests: the reference for QDQ models.
// Usage: node run.js MODEL.onnx INPUT.f32 N,C,H,W OUTPUT.f32
// INPUT.f32 holds N*C*H*W float32 values (little endian, row-major); OUTPUT.f32 gets the first
// output's values the same way, and its shape is printed as JSON.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, shape, output] = process.argv.slice(2);
  const dims = shape.split(',').map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  const out = (await session.run(feeds))[session.outputNames[0]];
  fs.writeFileSync(output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  console.log(JSON.stringify({ dims: out.dims }));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });

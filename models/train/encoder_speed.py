# Encoder shapes vs speed, for sizing a smaller mention model (issue 5): random weights (speed depends on
# shape only), exported like train.py exports (opset 17, eager attention), timed on ONNX Runtime CPU with
# 2 intra-op threads, batch 32. Usage: <training venv>/bin/python models/train/encoder_speed.py (writes *.onnx
# into the current directory; run it from a scratch directory).
import torch, time, numpy as np, onnxruntime as ort
from transformers import BertConfig, BertModel
torch.manual_seed(0)
shapes = [("L6-H384 (shipped shape)", 6, 384, 1536, 12), ("L2-H384", 2, 384, 1536, 12), ("L4-H256", 4, 256, 1024, 4), ("L2-H256", 2, 256, 1024, 4), ("L2-H128", 2, 128, 512, 2)]
class M(torch.nn.Module):
    def __init__(s, cfg): super().__init__(); s.b = BertModel(cfg, add_pooling_layer=False); s.h = torch.nn.Linear(cfg.hidden_size, 18)
    def forward(s, ids, mask): return s.h(s.b(input_ids=ids, attention_mask=mask).last_hidden_state.mean(1))
for name, L, H, F, A in shapes:
    cfg = BertConfig(vocab_size=30522, hidden_size=H, num_hidden_layers=L, intermediate_size=F, num_attention_heads=A, attn_implementation="eager")
    m = M(cfg).eval()
    ids = torch.randint(1000, 20000, (2, 16)); mask = torch.ones_like(ids)
    torch.onnx.export(m, (ids, mask), f"{L}_{H}.onnx", input_names=["ids", "mask"], output_names=["out"], dynamic_axes={"ids": {0: "b", 1: "s"}, "mask": {0: "b", 1: "s"}, "out": {0: "b"}}, opset_version=17)
    so = ort.SessionOptions(); so.intra_op_num_threads = 2
    s = ort.InferenceSession(f"{L}_{H}.onnx", so, providers=["CPUExecutionProvider"])
    for seq in (64, 40):
        x = np.random.randint(1000, 20000, (32, seq)).astype(np.int64); mk = np.ones_like(x)
        s.run(None, {"ids": x, "mask": mk})
        t = time.time(); n = 0
        while time.time() - t < 3: s.run(None, {"ids": x, "mask": mk}); n += 1
        print(f"{name:24} seq {seq}: {32 * n / (time.time() - t):7.0f} rows/s", flush=True)

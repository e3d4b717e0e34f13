# CPU peer at 16 bits: ../shared/bench/torch_cpu_neumf.py (NeuMF as in NVIDIA's PyTorch NCF: same layers, init, loss,
# Adam settings; timed training steps on random ids) with the forward pass and the loss under
# torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own CPU mixed precision (FP32 master weights and Adam).
# Usage: python3 torch_cpu_neumf_amp.py BATCH STEPS THREADS [bf16|fp32]
import sys, time, torch, torch.nn as nn
torch.manual_seed(0)
U, I = 138493, 26744
B = int(sys.argv[1]) if len(sys.argv) > 1 else 65536
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 6
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
precision = sys.argv[4] if len(sys.argv) > 4 else "bf16"
if precision not in ("bf16", "fp32"): sys.exit("precision must be bf16 or fp32, got " + precision)
class NeuMF(nn.Module):
    def __init__(s, f=64, layers=(256, 256, 128, 64), p=0.5):
        super().__init__()
        s.mfu, s.mfi = nn.Embedding(U, f), nn.Embedding(I, f)
        s.mlpu, s.mlpi = nn.Embedding(U, layers[0] // 2), nn.Embedding(I, layers[0] // 2)
        mods = []
        for a, b in zip(layers[:-1], layers[1:]): mods += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(p)]
        s.mlp = nn.Sequential(*mods); s.final = nn.Linear(f + layers[-1], 1)
        for e in (s.mfu, s.mfi, s.mlpu, s.mlpi): nn.init.normal_(e.weight, 0, 0.01)
    def forward(s, u, i):
        return s.final(torch.cat([s.mfu(u) * s.mfi(i), s.mlp(torch.cat([s.mlpu(u), s.mlpi(i)], 1))], 1))
m = NeuMF(); opt = torch.optim.Adam(m.parameters(), lr=0.0045, betas=(0.25, 0.5), eps=1e-8)
loss_fn = nn.BCEWithLogitsLoss()
u = torch.randint(0, U, (B,)); i = torch.randint(0, I, (B,)); y = (torch.rand(B, 1) < 0.2).float()
times = []
for s in range(steps):
    t = time.perf_counter(); opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        l = loss_fn(m(u, i).float(), y)
    l.backward(); opt.step(); times.append(time.perf_counter() - t)
st = sorted(times[1:]); med = st[len(st) // 2]
print(f"torch {torch.__version__} threads={torch.get_num_threads()} B={B} precision={precision} median step {med:.3f}s -> {B/med:,.0f} samples/s (loss {l.item():.4f})")

# The PyTorch peer of 'ncf benchmark recommend': top-K for a block of users with the same model (read from the same
# model.zip), the way a PyTorch user serves NeuMF: the model's forward pass over every (user, item) pair of a block
# of users, seen items masked to -inf, torch.topk. Usage:
#   python3 torch_recommend.py MODEL_ZIP USERS K THREADS PRECISION(fp32|bf16) [BLOCK_USERS]
# BLOCK_USERS (default 4) users per forward pass; 1 is a server answering one request at a time.
# Prints one line: "peer precision P users N pairs/s X users/s Y seconds S torch V threads T".
import sys, time, zipfile, torch, torch.nn as nn

path, n_users, k, threads, precision = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
block = int(sys.argv[6]) if len(sys.argv) > 6 else 4
torch.set_num_threads(threads)
z = zipfile.ZipFile(path)
cfg = dict(l.split('=', 1) for l in z.read('config.properties').decode().splitlines() if '=' in l and not l.startswith('#'))
U, I, f = int(cfg['numUsers']), int(cfg['numItems']), int(cfg['factors'])
layers = [int(x) for x in cfg['layers'].split()]
e = layers[0] // 2
raw = torch.frombuffer(bytearray(z.read('params.bin')), dtype=torch.float32)   # little-endian float32, ParamShapes order
shapes = [('mf_user', (U, f)), ('mf_item', (I, f)), ('mlp_user', (U, e)), ('mlp_item', (I, e))]
for i in range(len(layers) - 1): shapes += [(f'mlp_w{i}', (layers[i], layers[i + 1])), (f'mlp_b{i}', (layers[i + 1],))]
shapes += [('final_w', (f + layers[-1], 1)), ('final_b', (1,))]
p, at = {}, 0
for name, shape in shapes:
    n = 1
    for d in shape: n *= d
    p[name] = raw[at:at + n].view(*shape); at += n
assert at == raw.numel(), f'params.bin has {raw.numel()} floats, shapes need {at}'
seen_raw = z.read('seen.bin')
import struct
nu, cnt = struct.unpack('>ii', seen_raw[:8])
offsets = struct.unpack(f'>{nu + 1}i', seen_raw[8:8 + 4 * (nu + 1)])
items_seen = struct.unpack(f'>{cnt}i', seen_raw[8 + 4 * (nu + 1):8 + 4 * (nu + 1) + 4 * cnt])

class NeuMF(nn.Module):
    def __init__(s):
        super().__init__()
        s.mfu, s.mfi = nn.Embedding(U, f), nn.Embedding(I, f)
        s.mlpu, s.mlpi = nn.Embedding(U, e), nn.Embedding(I, e)
        s.lin = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:]))
        s.final = nn.Linear(f + layers[-1], 1)
    def forward(s, u, i):
        x = torch.cat([s.mlpu(u), s.mlpi(i)], 1)
        for l in s.lin: x = torch.relu(l(x))
        return s.final(torch.cat([s.mfu(u) * s.mfi(i), x], 1)).squeeze(1)

m = NeuMF().eval()
with torch.no_grad():
    m.mfu.weight.copy_(p['mf_user']); m.mfi.weight.copy_(p['mf_item'])
    m.mlpu.weight.copy_(p['mlp_user']); m.mlpi.weight.copy_(p['mlp_item'])
    for i, l in enumerate(m.lin): l.weight.copy_(p[f'mlp_w{i}'].t()); l.bias.copy_(p[f'mlp_b{i}'])
    m.final.weight.copy_(p['final_w'].t()); m.final.bias.copy_(p['final_b'])

all_items = torch.arange(I)
def top_k(users):
    u = torch.tensor(users).repeat_interleave(I)
    i = all_items.repeat(len(users))
    with torch.no_grad():
        if precision == 'bf16':
            with torch.autocast('cpu', dtype=torch.bfloat16): s = m(u, i)
        else: s = m(u, i)
    s = s.float().view(len(users), I)
    for r, user in enumerate(users):
        s[r, list(items_seen[offsets[user]:offsets[user + 1]])] = float('-inf')
    return torch.topk(s, k, dim=1)

users = [(j * 7919) % U for j in range(n_users)]
top_k(users[:block])   # warm-up
t = time.perf_counter()
for j in range(0, n_users, block): top_k(users[j:j + block])
sec = time.perf_counter() - t
print(f'peer precision {precision} users {n_users} pairs/s {n_users * I / sec:.1f} users/s {n_users / sec:.3f} seconds {sec:.3f} torch {torch.__version__} threads {torch.get_num_threads()}')

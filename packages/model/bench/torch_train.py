"""PyTorch's training throughput on the shape bench:train measures, for its side-by-side comparison.

The same model as packages/model/src/encoder.ts (BERT: word + position + token-type embeddings, post-LayerNorm
layers with erf-GELU, pooler, classifier), the same batch of random ids, cross-entropy, AdamW with gradient clipping
at norm 1 and dropout 0.1, timed after warm-up. Optional: the product never runs Python; bench:train calls this only
when a Python with torch is found.

    python3 torch_train.py --layers 4 --hidden 312 --heads 12 --intermediate 1200 --seq 32 --batch 32 \
        --mode train --threads 1,2 --steps 10 --warmup 2

Prints one JSON object per thread count: {"threads", "samples_per_s", "step_ms", "torch"}.
"""
import argparse
import json
import math
import time

import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, hidden, heads, intermediate, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask_bias):
        b, s, h = x.shape
        split = lambda t: t.view(b, s, self.heads, h // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + mask_bias
        context = (self.dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, s, h)
        x = self.attention_norm(x + self.dropout(self.attention_output(context)))
        return self.output_norm(x + self.dropout(self.output(nn.functional.gelu(self.intermediate(x)))))


class Bert(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, intermediate, positions, labels, dropout=0.1):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(positions, hidden)
        self.types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(Layer(hidden, heads, intermediate, dropout) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, labels)

    def forward(self, ids, mask):
        s = ids.shape[1]
        x = self.words(ids) + self.positions.weight[:s] + self.types.weight[0]
        x = self.dropout(self.norm(x))
        mask_bias = (1.0 - mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        return self.classifier(self.dropout(torch.tanh(self.pooler(x[:, 0]))))


def measure(a, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Bert(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, 128, a.labels)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, eps=1e-6)
    ids = torch.randint(5, a.vocab, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, a.labels, (a.batch,))

    def step():
        if a.mode == 'forward':
            model.eval()
            with torch.no_grad():
                model(ids, mask)
            return
        model.train()
        loss = nn.functional.cross_entropy(model(ids, mask), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - t0
    return {'threads': threads, 'samples_per_s': round(a.steps * a.batch / seconds, 2), 'step_ms': round(1000 * seconds / a.steps, 1), 'torch': torch.__version__}


def main():
    p = argparse.ArgumentParser()
    for name, default in [('layers', 4), ('hidden', 312), ('heads', 12), ('intermediate', 1200), ('seq', 32), ('batch', 32), ('vocab', 8000), ('labels', 15), ('steps', 10), ('warmup', 2)]:
        p.add_argument(f'--{name}', type=int, default=default)
    p.add_argument('--mode', choices=['forward', 'train'], default='train')
    p.add_argument('--threads', default='1,2')
    a = p.parse_args()
    for threads in [int(t) for t in a.threads.split(',')]:
        print(json.dumps(measure(a, threads)), flush=True)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Federated logistic regression in plain Python 3 (standard library only).

One file, several commands:

  generate OUT [--nodes 4] [--samples 150] [--test 400] [--features 6] [--classes 3]
               [--alpha 0.5] [--seed 1]
      A synthetic classification problem (one Gaussian cloud per class), split non-IID over
      the nodes (each node's class mix drawn from a Dirichlet(alpha)): OUT/node<i>/data.csv,
      OUT/test/data.csv, and the initial model in OUT/model (model.json + this file).
  train MODEL_DIR DATA_DIR OUT_DIR [--epochs 5] [--lr 0.5]
      Local training from the model: full-batch gradient descent on this node's data.
      Writes OUT_DIR/update.json: {"samples": n, "weights": [...], "loss": l}.
  aggregate MODEL_DIR UPDATES_DIR OUT_DIR
      Federated averaging: the mean of every UPDATES_DIR/**/*.json update's weights, weighted
      by its samples. Writes the next model to OUT_DIR (model.json + this file).
  central DATA_DIR... --test TEST_DIR [--epochs 50] [--lr 0.5]
      The same model trained on the union of the data: prints {"accuracy": a}.
  evaluate MODEL_DIR DATA_DIR
      Prints {"accuracy": a, "samples": n}.

Jobs read their inputs from $PAIP_MODEL_DIR / $PAIP_DATASET_DIR and write to $PAIP_OUTPUT_DIR;
nothing else of the machine is used.
"""
import json
import math
import os
import random
import shutil
import sys

HERE = os.path.abspath(__file__)


def read_csv(path):
    xs, ys = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line == '' or line.startswith('#'):
                continue
            parts = line.split(',')
            ys.append(int(parts[0]))
            xs.append([float(v) for v in parts[1:]])
    return xs, ys


def read_data(data_dir):
    xs, ys = [], []
    for root, _dirs, files in os.walk(data_dir, followlinks=True):
        for name in sorted(files):
            if name.endswith('.csv'):
                x, y = read_csv(os.path.join(root, name))
                xs += x
                ys += y
    return xs, ys


def write_csv(path, xs, ys):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for x, y in zip(xs, ys):
            f.write(str(y) + ',' + ','.join('%.5f' % v for v in x) + '\n')


def read_model(model_dir):
    with open(os.path.join(model_dir, 'model.json')) as f:
        return json.load(f)


def write_model(out_dir, model):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'model.json'), 'w') as f:
        json.dump(model, f)
    shutil.copyfile(HERE, os.path.join(out_dir, 'fedlr.py'))


def unpack(model):
    k, d = model['classes'], model['features']
    w = model['weights']
    return [w[c * (d + 1):(c + 1) * (d + 1)] for c in range(k)]


def pack(rows):
    return [v for row in rows for v in row]


def scores(rows, x):
    out = []
    for row in rows:
        s = row[-1]
        for j, v in enumerate(x):
            s += row[j] * v
        out.append(s)
    return out


def softmax(s):
    m = max(s)
    e = [math.exp(v - m) for v in s]
    t = sum(e)
    return [v / t for v in e]


def gradient_step(rows, xs, ys, lr):
    k, d = len(rows), len(rows[0]) - 1
    grad = [[0.0] * (d + 1) for _ in range(k)]
    loss = 0.0
    for x, y in zip(xs, ys):
        p = softmax(scores(rows, x))
        loss -= math.log(max(p[y], 1e-12))
        for c in range(k):
            g = p[c] - (1.0 if c == y else 0.0)
            gc = grad[c]
            for j, v in enumerate(x):
                gc[j] += g * v
            gc[d] += g
    n = max(len(xs), 1)
    for c in range(k):
        for j in range(d + 1):
            rows[c][j] -= lr * grad[c][j] / n
    return loss / n


def fit(model, xs, ys, epochs, lr):
    rows = unpack(model)
    loss = 0.0
    for _ in range(epochs):
        loss = gradient_step(rows, xs, ys, lr)
    return pack(rows), loss


def accuracy(model, xs, ys):
    rows = unpack(model)
    right = 0
    for x, y in zip(xs, ys):
        s = scores(rows, x)
        if s.index(max(s)) == y:
            right += 1
    return right / max(len(xs), 1)


def options(argv, defaults):
    opts, rest = dict(defaults), []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith('--'):
            key = a[2:]
            if key not in defaults:
                sys.exit('unknown option ' + a)
            opts[key] = type(defaults[key])(argv[i + 1]) if defaults[key] is not None else argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    return opts, rest


def generate(argv):
    o, rest = options(argv, {'nodes': 4, 'samples': 150, 'test': 400, 'features': 6, 'classes': 4,
                             'alpha': 0.5, 'seed': 1, 'spread': 1.0})
    out = rest[0]
    rnd = random.Random(o['seed'])
    k, d = o['classes'], o['features']
    means = [[rnd.gauss(0, o['spread']) for _ in range(d)] for _ in range(k)]

    def sample(c):
        return [m + rnd.gauss(0, 1.0) for m in means[c]]

    for i in range(o['nodes']):
        mix = [rnd.gammavariate(o['alpha'], 1.0) + 1e-3 for _ in range(k)]
        total = sum(mix)
        ys = []
        for _ in range(o['samples']):
            r, acc = rnd.random() * total, 0.0
            for c in range(k):
                acc += mix[c]
                if r <= acc:
                    break
            ys.append(c)
        write_csv(os.path.join(out, 'node%d' % i, 'data.csv'), [sample(y) for y in ys], ys)
    ys = [rnd.randrange(k) for _ in range(o['test'])]
    write_csv(os.path.join(out, 'test', 'data.csv'), [sample(y) for y in ys], ys)
    write_model(os.path.join(out, 'model'), {'kind': 'logistic-regression', 'classes': k, 'features': d,
                                            'round': 0, 'weights': [0.0] * (k * (d + 1))})
    print(json.dumps({'nodes': o['nodes'], 'classes': k, 'features': d, 'out': out}))


def train(argv):
    o, rest = options(argv, {'epochs': 5, 'lr': 0.5})
    model_dir, data_dir, out_dir = rest[0], rest[1], rest[2]
    model = read_model(model_dir)
    xs, ys = read_data(data_dir)
    weights, loss = fit(model, xs, ys, o['epochs'], o['lr'])
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'update.json'), 'w') as f:
        json.dump({'samples': len(xs), 'weights': weights, 'loss': loss}, f)
    print('trained on %d samples, loss %.4f' % (len(xs), loss))


def aggregate(argv):
    _o, rest = options(argv, {})
    model_dir, updates_dir, out_dir = rest[0], rest[1], rest[2]
    model = read_model(model_dir)
    total, acc = 0.0, [0.0] * len(model['weights'])
    for root, _dirs, files in os.walk(updates_dir, followlinks=True):
        for name in sorted(files):
            if not name.endswith('.json'):
                continue
            with open(os.path.join(root, name)) as f:
                u = json.load(f)
            n = float(u['samples'])
            if len(u['weights']) != len(acc) or n <= 0:
                sys.exit('bad update ' + name)
            total += n
            for j, v in enumerate(u['weights']):
                acc[j] += n * v
    if total <= 0:
        sys.exit('no updates')
    model['weights'] = [v / total for v in acc]
    model['round'] = int(model.get('round', 0)) + 1
    write_model(out_dir, model)
    print('aggregated %d samples into round %d' % (total, model['round']))


def central(argv):
    o, rest = options(argv, {'epochs': 50, 'lr': 0.5, 'test': None, 'model': None})
    xs, ys = [], []
    for data_dir in rest:
        x, y = read_data(data_dir)
        xs += x
        ys += y
    model = read_model(o['model']) if o['model'] else None
    if model is None:
        k = max(ys) + 1
        model = {'classes': k, 'features': len(xs[0]), 'weights': [0.0] * (k * (len(xs[0]) + 1))}
    model['weights'], loss = fit(model, xs, ys, o['epochs'], o['lr'])
    tx, ty = read_data(o['test'])
    print(json.dumps({'accuracy': accuracy(model, tx, ty), 'samples': len(xs), 'loss': loss}))


def evaluate(argv):
    _o, rest = options(argv, {})
    model = read_model(rest[0])
    xs, ys = read_data(rest[1])
    print(json.dumps({'accuracy': accuracy(model, xs, ys), 'samples': len(xs)}))


COMMANDS = {'generate': generate, 'train': train, 'aggregate': aggregate, 'central': central, 'evaluate': evaluate}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])

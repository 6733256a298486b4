"""Reference side of `npm run bench -- images`: the authors' image pipeline in PIL + numpy.

torchvision's wheels here are CUDA-only and do not load beside the CPU torch, so this is a PIL
re-implementation of what the authors' torchvision/lightly transforms do on PIL images:
  - cache build: Image.open -> convert("L") -> Resize(256) (shorter side, BILINEAR, torchvision's
    size rule) -> bytes appended to one file;
  - MSN views (lightly MSNTransform as the authors configure it): the image as RGB (their dataset
    calls .convert("RGB")), 12 views per image: RandomResizedCrop (torchvision's get_params: 10 tries
    of area/log-ratio, then the central fallback; crop + resize BILINEAR) to 224 (2 views, scale
    0.3-1) or 96 (10 views, scale 0.05-0.3), horizontal flip p=0.5, ToTensor, ImageNet Normalize;
    stacked into float32 arrays [B, 3, S, S].
Each is timed in one process and with a multiprocessing pool of `--workers` processes (what a
DataLoader with num_workers does). Prints one JSON object on its last line.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import random
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)


def resize_short(img, s):
    w, h = img.size
    size = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
    return img.resize(size, Image.BILINEAR)


def decode(path, short=256):
    return np.asarray(resize_short(Image.open(path).convert("L"), short))


def rrc_params(width, height, scale, ratio, rng):
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, height - h), rng.randint(0, width - w), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def view(img, size, scale, rng):
    top, left, h, w = rrc_params(img.size[0], img.size[1], scale, (3 / 4, 4 / 3), rng)
    out = img.crop((left, top, left + w, top + h)).resize((size, size), Image.BILINEAR)
    if rng.random() < 0.5:
        out = out.transpose(Image.FLIP_LEFT_RIGHT)
    x = np.asarray(out, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return (x - MEAN) / STD


def msn_batch(images, seed):
    rng = random.Random(seed)
    views = [[view(img, 224 if v < 2 else 96, (0.3, 1.0) if v < 2 else (0.05, 0.3), rng) for img in images] for v in range(12)]
    return np.stack([x for v in views[:2] for x in v]), np.stack([x for v in views[2:] for x in v])


_POOL_IMAGES = None


def _init(paths, short):
    global _POOL_IMAGES
    _POOL_IMAGES = [Image.fromarray(decode(p, short)).convert("RGB") for p in paths]


def _batch_in_worker(seed):
    a, f = msn_batch(_POOL_IMAGES, seed)
    return a.shape[0] + f.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", required=True, help="file with one JPEG path per line")
    ap.add_argument("--out", required=True, help="where to write the cache file")
    ap.add_argument("--short", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    paths = [p for p in open(a.list).read().split("\n") if p]

    t = time.perf_counter()
    with open(a.out, "wb") as f:
        for p in paths:
            f.write(decode(p, a.short).tobytes())
    cache_1 = len(paths) / (time.perf_counter() - t)

    t = time.perf_counter()
    with mp.Pool(a.workers) as pool, open(a.out, "wb") as f:
        for arr in pool.imap(decode, paths, chunksize=16):
            f.write(arr.tobytes())
    cache_n = len(paths) / (time.perf_counter() - t)

    batch_paths = paths[: a.batch]
    images = [Image.fromarray(decode(p, a.short)).convert("RGB") for p in batch_paths]
    msn_batch(images, 0)  # warm-up
    times = []
    for b in range(a.batches):
        t = time.perf_counter()
        msn_batch(images, b + 1)
        times.append(time.perf_counter() - t)
    times.sort()
    one = times[len(times) // 2]

    with mp.Pool(a.workers, initializer=_init, initargs=(batch_paths, a.short)) as pool:
        pool.map(_batch_in_worker, range(a.workers))  # warm-up
        t = time.perf_counter()
        pool.map(_batch_in_worker, range(100, 100 + 2 * a.workers))
        pooled = (time.perf_counter() - t) / (2 * a.workers)

    print(json.dumps({
        "implementation": "PIL + numpy re-implementation of torchvision Resize / RandomResizedCrop / flip / Normalize (torchvision's wheels here are CUDA-only)",
        "pil": Image.__version__, "numpy": np.__version__, "workers": a.workers,
        "cacheImagesPerSecond": {"oneProcess": cache_1, "pool": cache_n},
        "msnSecondsPerBatch": {"oneProcess": one, "pool": pooled},
    }))


if __name__ == "__main__":
    main()

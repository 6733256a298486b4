"""Golden fixtures for the image layer (test/images/*.test.ts), written with PIL + numpy.

torchvision is not installable here (its wheels are CUDA-only), so its PIL code paths are written
out from torchvision 0.16 (the authors' pin):
  - Resize(s) on PIL: the shorter side becomes s, the longer int(s * long / short); img.resize(BILINEAR);
  - resized_crop(top, left, h, w, size): img.crop((left, top, left + w, top + h)).resize(size, BILINEAR);
  - hflip: ImageOps.mirror;
  - affine on PIL: centre (w * 0.5, h * 0.5), matrix = _get_inverse_affine_matrix (shear 0),
    img.transform(size, AFFINE, matrix, NEAREST, fillcolor=0) (RandomAffine's default interpolation);
  - CenterCrop(c): top = int(round((h - c) / 2)), left = int(round((w - c) / 2)).

Run: .venv-ref/bin/python test/golden/images_reference.py   (writes images_fixture.json and images_source.png)
"""
import base64
import json
import math
import os

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def source(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth structure, sharp edges and noise, so that interpolation differences show."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = 120 + 50 * np.sin(x / 7.0) * np.cos(y / 11.0) + 0.3 * (x - y)
    img[height // 4: height // 2, width // 3: 2 * width // 3] += 60
    img += rng.normal(0, 12, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def tv_resize(img: Image.Image, s: int) -> Image.Image:
    w, h = img.size
    size = (s, int(s * h / w)) if w <= h else (int(s * w / h), s)
    return img.resize(size, Image.BILINEAR)


def inverse_affine(center, angle, translate, scale):
    rot = math.radians(angle)
    cx, cy = center
    tx, ty = translate
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def centre_crop(img: Image.Image, c: int) -> Image.Image:
    w, h = img.size
    top, left = int(round((h - c) / 2)), int(round((w - c) / 2))
    return img.crop((left, top, left + c, top + c))


def main() -> None:
    src = source(170, 200, 1)
    small = source(40, 48, 2)
    Image.fromarray(src, mode="L").save(os.path.join(HERE, "images_source.png"))
    pil_src, pil_small = Image.fromarray(src, mode="L"), Image.fromarray(small, mode="L")

    resized = tv_resize(pil_src, 64)
    upscaled = tv_resize(pil_small, 64)

    crops = []
    for top, left, h, w, flip, size in [
        (10, 20, 16, 20, False, 24),   # upscaling
        (50, 30, 24, 24, True, 24),    # same size, flipped
        (0, 0, 200, 170, False, 24),   # whole image, ~7x down
        (100, 60, 36, 36, False, 24),  # 1.5x down
        (120, 90, 36, 30, True, 24),   # 1.5x / 1.25x down, flipped
        (33, 47, 61, 44, False, 48),   # ~1.3x / ~0.9x
    ]:
        out = pil_src.crop((left, top, left + w, top + h)).resize((size, size), Image.BILINEAR)
        if flip:
            out = ImageOps.mirror(out)
        crops.append({"top": top, "left": left, "height": h, "width": w, "flip": flip, "size": size, "out": b64(np.asarray(out))})

    affine = []
    W, H = resized.size
    for angle, tx, ty, scale, flip in [(0.0, 0, 0, 1.0, False), (30.0, 5, -3, 1.1, False), (-44.0, -9, 7, 0.87, True), (12.5, 0, 11, 1.0, True)]:
        img = ImageOps.mirror(resized) if flip else resized
        m = inverse_affine((W * 0.5, H * 0.5), angle, (tx, ty), scale)
        out = centre_crop(img.transform((W, H), Image.AFFINE, m, Image.NEAREST, fillcolor=0), 56)
        affine.append({"angle": angle, "tx": tx, "ty": ty, "scale": scale, "flip": flip, "out": b64(np.asarray(out))})

    fixture = {
        "note": "written by test/golden/images_reference.py (PIL " + Image.__version__ + ")",
        "source": {"width": 170, "height": 200, "data": b64(src)},
        "small": {"width": 40, "height": 48, "data": b64(small)},
        "resize64": {"width": resized.size[0], "height": resized.size[1], "data": b64(np.asarray(resized))},
        "upscale64": {"width": upscaled.size[0], "height": upscaled.size[1], "data": b64(np.asarray(upscaled))},
        "crops": crops,
        "affine": affine,
    }
    with open(os.path.join(HERE, "images_fixture.json"), "w") as f:
        json.dump(fixture, f, indent=1)


if __name__ == "__main__":
    main()

"""Draw the sample inputs used by the edit lessons and write them next to this script.

Run ``python sample_inputs/make_samples.py``. Everything is drawn with Pillow from flat colours,
so the files are small, free of any licence and identical on every run (for the same Pillow).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent


def room() -> Image.Image:
    """A living room: wall, floor, window, sofa and lamp, with clear shapes to mask."""
    image = Image.new("RGB", (1024, 1024), (226, 214, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 700, 1024, 1024), fill=(150, 108, 72))
    for x in range(-400, 1024, 128):
        draw.line((x + 300, 700, x, 1024), fill=(132, 94, 62), width=4)
    draw.rectangle((0, 690, 1024, 706), fill=(245, 240, 228))
    draw.rectangle((96, 150, 456, 500), fill=(245, 240, 228))
    draw.rectangle((116, 170, 436, 480), fill=(150, 200, 236))
    draw.ellipse((300, 210, 380, 290), fill=(255, 236, 150))
    draw.polygon(((116, 480), (200, 400), (280, 450), (360, 380), (436, 440), (436, 480)), fill=(120, 170, 110))
    draw.rectangle((270, 170, 282, 480), fill=(245, 240, 228))
    draw.rectangle((116, 319, 436, 331), fill=(245, 240, 228))
    draw.rectangle((620, 200, 860, 380), fill=(70, 60, 52))
    draw.rectangle((636, 216, 844, 364), fill=(214, 120, 90))
    draw.ellipse((700, 250, 780, 330), fill=(240, 200, 110))
    draw.ellipse((250, 820, 790, 960), fill=(184, 70, 64))
    sofa = (60, 110, 150)
    draw.rounded_rectangle((200, 560, 800, 700), radius=30, fill=sofa)
    draw.rounded_rectangle((170, 640, 830, 780), radius=30, fill=(70, 124, 166))
    draw.rounded_rectangle((150, 600, 240, 800), radius=24, fill=sofa)
    draw.rounded_rectangle((760, 600, 850, 800), radius=24, fill=sofa)
    draw.rectangle((190, 800, 210, 830), fill=(50, 40, 34))
    draw.rectangle((790, 800, 810, 830), fill=(50, 40, 34))
    draw.rounded_rectangle((300, 590, 420, 660), radius=20, fill=(236, 196, 90))
    draw.rectangle((922, 440, 934, 860), fill=(60, 56, 52))
    draw.ellipse((880, 850, 976, 880), fill=(60, 56, 52))
    draw.polygon(((880, 440), (976, 440), (950, 330), (906, 330)), fill=(250, 232, 180))
    return image


def product() -> Image.Image:
    """A mug centred on a plain light background with a soft shadow beneath it."""
    image = Image.new("RGB", (1024, 1024), (242, 242, 238))
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse((300, 730, 740, 800), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(24))
    image.paste(Image.new("RGB", image.size, (190, 190, 184)), (0, 0), shadow)
    draw = ImageDraw.Draw(image)
    body, dark = (38, 98, 160), (28, 74, 122)
    draw.ellipse((600, 390, 780, 640), fill=body)
    draw.ellipse((640, 440, 740, 590), fill=(242, 242, 238))
    draw.rectangle((320, 320, 660, 740), fill=body)
    draw.ellipse((320, 700, 660, 780), fill=body)
    draw.ellipse((320, 280, 660, 360), fill=dark)
    draw.ellipse((340, 292, 640, 350), fill=(70, 40, 24))
    draw.rectangle((360, 360, 390, 700), fill=(70, 130, 190))
    draw.ellipse((410, 470, 570, 630), fill=(246, 246, 242))
    draw.regular_polygon((490, 552, 50), 5, rotation=180, fill=(230, 170, 40))
    return image


def logo() -> Image.Image:
    """A simple badge and wordmark on a fully transparent background."""
    image = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((262, 170, 762, 670), fill=(24, 120, 110, 255))
    draw.ellipse((312, 220, 712, 620), fill=(255, 255, 255, 255))
    draw.polygon(((362, 540), (462, 330), (532, 460), (582, 390), (662, 540)), fill=(24, 120, 110, 255))
    draw.ellipse((560, 270, 630, 340), fill=(244, 160, 40, 255))
    font = ImageFont.load_default(size=110)
    draw.text((512, 800), "SUMMIT", font=font, fill=(24, 60, 70, 255), anchor="mm")
    return image


def portrait() -> Image.Image:
    """A stylised head-and-shoulders figure (not a real person) on a two-tone backdrop."""
    image = Image.new("RGB", (1024, 1536), (214, 226, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 1000, 1024, 1536), fill=(196, 210, 222))
    skin, hair, shirt = (224, 178, 140), (70, 48, 36), (170, 60, 70)
    draw.rounded_rectangle((162, 1030, 862, 1700), radius=260, fill=shirt)
    draw.polygon(((440, 1030), (512, 1160), (584, 1030)), fill=(240, 230, 220))
    draw.rectangle((452, 900, 572, 1060), fill=(206, 160, 124))
    draw.ellipse((292, 340, 732, 680), fill=hair)
    draw.ellipse((332, 400, 692, 960), fill=skin)
    draw.chord((332, 380, 692, 700), 180, 360, fill=hair)
    draw.ellipse((310, 640, 360, 740), fill=skin)
    draw.ellipse((664, 640, 714, 740), fill=skin)
    for x in (430, 594):
        draw.ellipse((x - 26, 650, x + 26, 690), fill=(255, 255, 255))
        draw.ellipse((x - 12, 656, x + 12, 684), fill=(50, 40, 36))
        draw.line((x - 40, 616, x + 40, 610), fill=hair, width=12)
    draw.line((512, 690, 496, 790, 520, 796), fill=(190, 140, 110), width=8)
    draw.arc((442, 800, 582, 880), 20, 160, fill=(160, 70, 70), width=10)
    return image


SAMPLES = {"room.png": room, "product.png": product, "logo.png": logo, "portrait.png": portrait}


def write_png(image: Image.Image, path: Path) -> None:
    """Save via a temporary file in the same folder so a reader never sees a half-written PNG."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as out:
            image.save(out, "PNG", optimize=True)
        # mkstemp creates owner-only files; samples are meant to be readable by everyone.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main() -> None:
    for name, draw in SAMPLES.items():
        path = HERE / name
        write_png(draw(), path)
        print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

"""MTCNN reference detections for FaceDetectionTests (run by hand; CI never needs torch).

    pip install torch torchvision pillow numpy scikit-image
    pip install --no-deps facenet-pytorch==2.6.0
    python3 Tests/FaceDetectionTests/Fixtures/make_mtcnn_fixtures.py

Writes, next to this script, small PNG photos made from scikit-image's sample images and
facenet-pytorch's `MTCNN().detect(photo, landmarks=True)` on each (its defaults: min face 20,
thresholds 0.6/0.7/0.7, factor 0.709, largest face first) in mtcnn_reference.json.

- astronaut.png: Eileen Collins (NASA, public domain), the 512 x 512 sample scaled to 256 x 256: a close-up.
- group.png: a collage of three people at different sizes: the astronaut, scikit-image's "camera"
  photographer (CC0, Lav Varshney) and the astronaut again, small. A stand-in for a group photo made only
  of freely licensed pictures.
- coffee.png: a coffee cup (CC0, Rachel Michetti), 300 x 200: a photo with no face.
- chelsea.png: a cat (CC0, Stefan van der Walt), 225 x 150: a face MTCNN should not take for a person's.
"""
import json
import os

import numpy as np
import skimage.data
from facenet_pytorch import MTCNN
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))


def sample(name):
    return Image.open(os.path.join(os.path.dirname(skimage.data.__file__), name)).convert("RGB")


astronaut = sample("astronaut.png")
camera = sample("camera.png")
photos = {
    "astronaut.png": astronaut.resize((256, 256), Image.LANCZOS),
    "coffee.png": sample("coffee.png").resize((300, 200), Image.LANCZOS),
    "chelsea.png": sample("chelsea.png").resize((225, 150), Image.LANCZOS),
}
group = Image.new("RGB", (560, 260), (128, 128, 128))
group.paste(astronaut.resize((250, 250), Image.LANCZOS), (5, 5))
group.paste(camera.resize((220, 220), Image.LANCZOS), (260, 20))
group.paste(astronaut.crop((140, 20, 320, 200)).resize((70, 70), Image.LANCZOS), (485, 180))
photos["group.png"] = group

detector = MTCNN()
reference = {}
for name, photo in sorted(photos.items()):
    photo.save(os.path.join(here, name), optimize=True)
    # Detect on the file as saved, decoded again, so the reference sees exactly the committed pixels.
    image = Image.open(os.path.join(here, name)).convert("RGB")
    boxes, probs, points = detector.detect(image, landmarks=True)
    faces = []
    if boxes is not None:
        for box, prob, landmarks in zip(boxes, probs, points):
            faces.append({"box": [float(v) for v in box], "score": float(prob),
                          "landmarks": [[float(x), float(y)] for x, y in landmarks]})
    reference[name] = {"size": list(image.size), "faces": faces}
    print(name, image.size, [(round(f["score"], 4), [round(v, 1) for v in f["box"]]) for f in faces])

with open(os.path.join(here, "mtcnn_reference.json"), "w") as f:
    json.dump(reference, f, indent=1)
    f.write("\n")

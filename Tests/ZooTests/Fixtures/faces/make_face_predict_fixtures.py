"""Reference for `zoo run predict --faces` with fer-emotion (run by hand; CI never needs torch or keras).

    pip install torch pillow numpy keras
    pip install --no-deps facenet-pytorch==2.6.0
    KERAS_BACKEND=torch python3 Tests/ZooTests/Fixtures/faces/make_face_predict_fixtures.py

On Tests/FaceDetectionTests/Fixtures/group.png: facenet-pytorch's MTCNN finds the faces; each is cut as
facenet-pytorch's `extract_face` cuts it (margin in pixels of the final crop, box truncated to whole pixels
and clamped to the photo), then prepared as fer prepares a face: Pillow's convert("L"), resize to 64 x 64
(BILINEAR), x / 255, (x - 0.5) * 2; fer's Keras mini-Xception (emotion_model.hdf5, bundled with zoo) gives
the 7 probabilities. Written to face_predict_reference.json next to this script, for margins 0 and 16.

For --align, "aligned" holds each face's 5 landmarks mapped by scikit-image's SimilarityTransform
(Umeyama's least squares, as insightface's norm_crop estimates it) onto ArcFace's 112 x 112 template scaled
to 64 x 64: where zoo's alignment must put them.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
from facenet_pytorch import MTCNN
from PIL import Image
from skimage.transform import SimilarityTransform

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", "..", ".."))
photo_path = os.path.join(root, "Tests", "FaceDetectionTests", "Fixtures", "group.png")
model = keras.models.load_model(os.path.join(root, "Sources", "BundledModels", "Files", "fer", "emotion_model.hdf5"), compile=False)
size = 64


def crop_box(box, margin, width, height):
    # facenet_pytorch.models.utils.detect_face.extract_face, line for line.
    m = [margin * (box[2] - box[0]) / (size - margin), margin * (box[3] - box[1]) / (size - margin)]
    return [int(max(box[0] - m[0] / 2, 0)), int(max(box[1] - m[1] / 2, 0)),
            int(min(box[2] + m[0] / 2, width)), int(min(box[3] + m[1] / 2, height))]


photo = Image.open(photo_path).convert("RGB")
boxes, scores, points = MTCNN().detect(photo, landmarks=True)
reference = {"image": "group.png", "classes": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"], "margins": {}}
for margin in [0, 16]:
    faces = []
    for box, score in zip(boxes, scores):
        cut = crop_box([float(v) for v in box], margin, *photo.size)
        face = photo.crop(cut).convert("L").resize((size, size), Image.BILINEAR)
        x = np.asarray(face, dtype=np.float32)[None, :, :, None] / 255.0
        probabilities = model.predict((x - 0.5) * 2.0, verbose=0)[0]
        faces.append({"box": [float(v) for v in box], "crop": cut,
                      "probabilities": [round(float(p), 7) for p in probabilities]})
    reference["margins"][str(margin)] = faces
template = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]) * size / 112
aligned = []
for landmarks in points:
    transform = SimilarityTransform()
    transform.estimate(np.asarray(landmarks, dtype=np.float64), template)
    aligned.append([[round(float(v), 5) for v in p] for p in transform(np.asarray(landmarks, dtype=np.float64))])
reference["aligned"] = aligned
with open(os.path.join(here, "face_predict_reference.json"), "w") as f:
    json.dump(reference, f, indent=1)
    f.write("\n")
print(json.dumps(reference)[:600])

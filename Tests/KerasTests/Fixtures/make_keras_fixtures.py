"""Keras fixtures for KerasTests and the Keras parity tests (run by hand; CI never needs Keras).

    pip install keras torch numpy pillow safetensors  # keras 3 on the torch backend, no TensorFlow
    KERAS_BACKEND=torch python3 Tests/KerasTests/Fixtures/make_keras_fixtures.py

Writes, next to this script:
- tiny_sequential.h5: a Keras 3 Sequential model (Conv2D with a fused relu, DepthwiseConv2D,
  BatchNormalization without scale, Dropout, Flatten, Dense softmax) saved whole in the HDF5 format;
- tiny_functional.h5: a Keras 3 functional model with a residual Add, SeparableConv2D, MaxPooling2D
  "same" (asymmetric padding), GlobalAveragePooling2D and a Dense head;
- keras_reference.safetensors: for each model (tiny_sequential, tiny_functional, and fer's
  emotion_model.hdf5 from Sources/BundledModels/Files/fer), NCHW inputs `<model>.input` and Keras' outputs `<model>.output`.
  fer's inputs are two faces cut from scikit-image's astronaut.png (NASA, public domain) and one noise
  image, prepared as fer does: grayscale, 64x64, /255, (x - 0.5) * 2.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras
import numpy as np
import torch
from safetensors.numpy import save_file

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
keras.utils.set_random_seed(0)
rng = np.random.RandomState(0)


def randomize_batchnorm(model):
    # Fresh BatchNormalization layers hold mean 0 / variance 1; give them values that a wrong mapping shows.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            weights = layer.get_weights()
            layer.set_weights([w + rng.uniform(0.1, 0.9, w.shape).astype("float32") for w in weights])


def sequential():
    model = keras.Sequential([
        keras.Input(shape=(12, 10, 3)),
        keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="valid"),
        keras.layers.BatchNormalization(scale=False, epsilon=1e-3),
        keras.layers.Dropout(0.5),
        keras.layers.Flatten(),
        keras.layers.Dense(5, activation="softmax"),
    ], name="tiny_sequential")
    randomize_batchnorm(model)
    return model


def functional():
    x = inputs = keras.Input(shape=(11, 11, 2))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    shortcut = keras.layers.Conv2D(8, 1, strides=2, padding="same")(x)
    y = keras.layers.SeparableConv2D(8, 3, padding="same")(x)
    y = keras.layers.ReLU()(y)
    y = keras.layers.MaxPooling2D(3, strides=2, padding="same")(y)
    x = keras.layers.Add()([y, shortcut])
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="tiny_functional")
    randomize_batchnorm(model)
    return model


def fer_inputs():
    from PIL import Image
    import skimage.data  # noqa: F401  (only its file)
    path = os.path.join(os.path.dirname(skimage.data.__file__), "astronaut.png")
    photo = Image.open(path).convert("L")
    crops = [photo.crop((150, 40, 290, 180)), photo.crop((170, 60, 270, 160))]
    faces = [np.asarray(c.resize((64, 64), Image.BILINEAR), dtype=np.float32) for c in crops]
    faces.append(rng.uniform(0, 255, (64, 64)).astype(np.float32))
    x = np.stack(faces)[:, :, :, None] / 255.0
    return ((x - 0.5) * 2.0).astype(np.float32)


tensors = {}
for name, model in [("tiny_sequential", sequential()), ("tiny_functional", functional())]:
    path = os.path.join(here, name + ".h5")
    model.save(path)
    shape = (4,) + tuple(model.input_shape[1:])
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    loaded = keras.models.load_model(path, compile=False)
    tensors[name + ".input"] = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    tensors[name + ".output"] = np.asarray(loaded.predict(x, verbose=0), dtype=np.float32)

fer = keras.models.load_model(os.path.join(root, "Sources", "BundledModels", "Files", "fer", "emotion_model.hdf5"), compile=False)
x = fer_inputs()
tensors["emotion_model.input"] = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
tensors["emotion_model.output"] = np.asarray(fer.predict(x, verbose=0), dtype=np.float32)
save_file(tensors, os.path.join(here, "keras_reference.safetensors"))
for k, v in tensors.items():
    print(k, v.shape)

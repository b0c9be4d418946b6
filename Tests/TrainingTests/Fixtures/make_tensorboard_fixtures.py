"""TensorBoard event-file fixtures for TensorBoardTests, checked with TensorBoard's own code.

Run by hand (pip install tensorboard; 2.21.0 was used); commit the outputs. CI never needs tensorboard.

- zoo_written.tfevents        an event file written by zoo's TensorBoardWriter (TensorBoardTests writes
                              the same bytes and checks they are unchanged); read here with TensorBoard's
                              EventAccumulator, which checks the record CRCs
- zoo_written_expected.json   what EventAccumulator read from it: every scalar tag with (step, wall time, value)
- python_written.tfevents     scalars written by TensorBoard's own EventFileWriter, for zoo's reader
- python_written_expected.json the scalars written there
"""
import json
import os
import shutil
import tempfile

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

HERE = os.path.dirname(os.path.abspath(__file__))


def read_with_tensorboard(path):
    folder = tempfile.mkdtemp()
    try:
        shutil.copy(path, os.path.join(folder, "events.out.tfevents.fixture"))
        acc = EventAccumulator(folder, size_guidance={"scalars": 0})
        acc.Reload()
        return {tag: [[e.step, e.wall_time, e.value] for e in acc.Scalars(tag)] for tag in sorted(acc.Tags()["scalars"])}
    finally:
        shutil.rmtree(folder)


def write_python_events():
    folder = tempfile.mkdtemp()
    expected = {}
    try:
        writer = EventFileWriter(folder)
        for step in range(3):
            values = [summary_pb2.Summary.Value(tag="train/loss", simple_value=1.0 / (step + 1)),
                      summary_pb2.Summary.Value(tag="test/mean_auc", simple_value=0.5 + 0.125 * step)]
            for v in values:
                expected.setdefault(v.tag, []).append([step, 1700000000.0 + step, v.simple_value])
            writer.add_event(event_pb2.Event(wall_time=1700000000.0 + step, step=step,
                                             summary=summary_pb2.Summary(value=values)))
        writer.close()
        (name,) = [n for n in os.listdir(folder) if "tfevents" in n]
        shutil.copy(os.path.join(folder, name), os.path.join(HERE, "python_written.tfevents"))
    finally:
        shutil.rmtree(folder)
    with open(os.path.join(HERE, "python_written_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    zoo_file = os.path.join(HERE, "zoo_written.tfevents")
    if os.path.exists(zoo_file):
        with open(os.path.join(HERE, "zoo_written_expected.json"), "w") as f:
            json.dump(read_with_tensorboard(zoo_file), f, indent=1)
    else:
        print("zoo_written.tfevents is missing: run TensorBoardTests once (it writes it), then this script again")
    write_python_events()

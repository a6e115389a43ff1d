"""ONNX export (FP32) and ONNX Runtime static INT8 quantisation calibrated on training windows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from dance2music.music.online_features import HISTORY, SIZE
from dance2music.music.scale import NUM_NOTES
from models.classifier.data import Windows
from models.classifier.network import NoteClassifier

OPSET = 17


def export_fp32(model: NoteClassifier, path: Path) -> None:
    model.eval()
    example = (torch.zeros(1, 1, SIZE, SIZE), torch.full((1, HISTORY), 5, dtype=torch.int64),
               torch.zeros((1, 1), dtype=torch.int64), torch.zeros(1, NUM_NOTES))
    names = model.input_names
    # The TorchScript exporter: the dynamo one needs onnxscript, which the train extra lacks.
    torch.onnx.export(model, example[:len(names)], str(path), input_names=names,
                      output_names=["logits"], opset_version=OPSET, dynamo=False,
                      dynamic_axes={name: {0: "batch"} for name in names + ["logits"]})


class _Calibration(CalibrationDataReader):
    def __init__(self, windows: Windows, batch: int = 64):
        self._batches = iter([windows.subset(slice(i, i + batch)).feed()
                              for i in range(0, len(windows), batch)])

    def get_next(self):
        return next(self._batches, None)


def calibration_windows(windows: Windows, count: int, seed: int) -> Windows:
    pick = np.sort(np.random.default_rng(seed).choice(len(windows), min(count, len(windows)),
                                                      replace=False))
    return windows.subset(pick)


def quantise_int8(fp32: Path, int8: Path, calibration: Windows) -> None:
    """Static QDQ quantisation: convolutions and fully connected layers in INT8 (weights per
    channel, activations by min/max over the calibration windows); the small LSTM stays FP32."""
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared))
        quantize_static(str(prepared), str(int8), _Calibration(calibration),
                        quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv", "Gemm", "MatMul"],
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)

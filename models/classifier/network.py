"""The paper's online note classifier (Aggarwal & Parikh 2021, section 3.2) with a width
multiplier: width 1.0 is the paper's network, narrower ones scale every conv and FC layer."""

from __future__ import annotations

import torch
from torch import nn

from dance2music.music.online_features import HISTORY, SIZE
from dance2music.music.scale import NUM_NOTES

PAPER_FILTERS = (64, 128, 128, 256, 512, 32)
PAPER_FC = (512, 256, 128)
POOL_AFTER = (0, 2)  # max-pool after the 1st and 3rd conv
EMBEDDING = 16  # the reference: a 6-entry embedding (5 notes + start token) of size 16
LSTM_HIDDEN = 32  # 2-layer bidirectional: a 64-d summary of the note history


def scaled(sizes: tuple[int, ...], width: float) -> list[int]:
    return [max(1, round(s * width)) for s in sizes]


class NotePlanes(nn.Module):
    """Extra image planes computed in the graph from the same two inputs (the model's interface
    stays the paper's): the standardised image times a one-hot plane per note of each column's
    frame, and the row position. A GAP-ended CNN cannot otherwise relate a frame's similarity
    to the note that frame carried; this is the product the correlation is made of."""

    channels = 1 + NUM_NOTES + 1

    def __init__(self, k: int = SIZE // HISTORY):
        super().__init__()
        self.k = k
        self.register_buffer("rows", torch.linspace(-1, 1, SIZE).view(1, 1, SIZE, 1), False)

    def forward(self, image: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        frames = history.repeat_interleave(self.k, dim=1)  # the note of each of the 60 frames
        onehot = (frames[:, None, :] == torch.arange(NUM_NOTES, device=history.device)[None, :, None])
        columns = onehot.to(image.dtype)[:, :, None, :]  # (B, 5, 1, 60); start token: all 0
        rows = self.rows.expand(image.shape[0], 1, SIZE, SIZE)
        return torch.cat([image, image * columns, rows], dim=1)


class NoteClassifier(nn.Module):
    def __init__(self, width: float = 1.0, dropout: float = 0.5, note_planes: bool = False):
        super().__init__()
        self.width = width
        # The labels maximise a Pearson correlation with D, which no affine change of D alters:
        # standardising the image shows the network the structure, not the (near-1) level.
        self.standardise = nn.InstanceNorm2d(1)
        self.planes = NotePlanes() if note_planes else None
        layers: list[nn.Module] = []
        channels = NotePlanes.channels if note_planes else 1
        for i, filters in enumerate(scaled(PAPER_FILTERS, width)):
            layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU()]
            if i in POOL_AFTER:
                layers.append(nn.MaxPool2d(2))
            channels = filters
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.dance = nn.Sequential(*layers)
        self.embed = nn.Embedding(NUM_NOTES + 1, EMBEDDING)
        self.notes = nn.LSTM(EMBEDDING, LSTM_HIDDEN, num_layers=2, bidirectional=True,
                             batch_first=True)
        head: list[nn.Module] = []
        features = channels + 2 * LSTM_HIDDEN
        for i, size in enumerate(scaled(PAPER_FC, width)):
            head += [nn.Linear(features, size), nn.ReLU()]
            if i == 0:
                head.append(nn.Dropout(dropout))
            features = size
        head.append(nn.Linear(features, NUM_NOTES))
        self.head = nn.Sequential(*head)

    def forward(self, image: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """image (B, 1, SIZE, SIZE) float, history (B, HISTORY) int64 -> (B, 5) logits."""
        notes, _ = self.notes(self.embed(history))
        image = self.standardise(image)
        if self.planes is not None:
            image = self.planes(image, history)
        return self.head(torch.cat([self.dance(image), notes[:, -1]], dim=1))


def count_macs(model: NoteClassifier) -> int:
    """Multiply-accumulates of one decision (conv, LSTM and linear layers; pooling and
    activations are not counted)."""
    macs = 0
    side = SIZE
    for layer in model.dance:
        if isinstance(layer, nn.Conv2d):
            macs += layer.in_channels * layer.out_channels * 9 * side * side
        elif isinstance(layer, nn.MaxPool2d):
            side //= 2
    lstm = model.notes
    for layer in range(lstm.num_layers):
        inputs = lstm.input_size if layer == 0 else 2 * lstm.hidden_size
        macs += 2 * HISTORY * 4 * lstm.hidden_size * (inputs + lstm.hidden_size)
    macs += sum(m.in_features * m.out_features for m in model.head if isinstance(m, nn.Linear))
    return macs
